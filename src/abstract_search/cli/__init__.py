"""The `abstract-search` command: a thin layer over the library.

One module per pipeline stage holds that stage's commands (`ingest`, `search`, `topics`, `plan`);
this one puts them into one parser. Each command imports what it needs when it runs, so `--help`
never loads torch.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from abstract_search.cli import ingest, plan, search, topics
from abstract_search.cli.ingest import COL_FIELDS
from abstract_search.records import UserError

__all__ = ["COL_FIELDS", "COMMANDS", "build_parser", "main"]

COMMANDS = [
    ingest.add_ingest,
    search.add_build,
    search.add_search,
    search.add_related,
    search.add_eval,
    topics.add_topics,
    topics.add_map,
    plan.add_plan,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="abstract-search",
        description="Semantic search, topics, maps and session planning for scientific abstracts.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for bad input, with a one-line reason)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as err:
        print(f"abstract-search: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("abstract-search: interrupted", file=sys.stderr)
        return 130
