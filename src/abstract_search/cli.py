"""The `abstract-search` command: a thin layer over the library.

Each subcommand imports what it needs when it runs, so `--help` never loads torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from abstract_search.records import CorpusError


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False))


# --- ingest -------------------------------------------------------------------------------


def _add_ingest(sub) -> None:
    p = sub.add_parser(
        "ingest",
        help="turn an abstract book (.txt/.pdf) or a table (.csv/.jsonl) into a corpus",
        description="Turn an abstract book (text or PDF) or a CSV/JSONL table into corpus records.",
    )
    p.add_argument("source", help="abstract book (.txt, .pdf) or table (.csv, .jsonl)")
    p.add_argument("--out", required=True, help="where to write the records (.jsonl)")
    p.add_argument("--title-col", default=None, help="table column holding the title (default: title)")
    p.add_argument("--abstract-col", default=None, help="table column holding the abstract (default: abstract)")
    p.add_argument("--id-col", default=None, help="table column holding a stable id (default: id, else row number)")
    p.add_argument("--speakers-col", default=None, help="table column holding authors/speakers")
    p.add_argument("--kind", default=None, help="kind for table rows: talk, poster or paper (default: paper)")
    p.add_argument("--json", action="store_true", help="print the ingestion report as JSON")
    p.set_defaults(run=_run_ingest)


def _run_ingest(args) -> int:
    from abstract_search.ingest import ingest_file

    columns = {
        "title": args.title_col,
        "abstract": args.abstract_col,
        "id": args.id_col,
        "speakers": args.speakers_col,
    }
    result = ingest_file(args.source, columns=columns, kind=args.kind, progress=not args.json)
    from abstract_search.records import write_records

    write_records(result.records, args.out)
    if args.json:
        _print_json(result.report_json())
    else:
        print(result.report_text())
        print(f"wrote {len(result.records)} records to {args.out}")
    return 0


COMMANDS = [_add_ingest]


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
    except CorpusError as err:
        print(f"abstract-search: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("abstract-search: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
