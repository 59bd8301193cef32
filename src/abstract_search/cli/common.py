"""What several command modules share: JSON output and the corpus/model options.

Kept apart from `__init__` (which imports every command module) so that no import goes in a circle.
"""

from __future__ import annotations

import json


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def add_corpus_args(p) -> None:
    p.add_argument("--corpus", default=None, help="corpus name (data/NAME.jsonl) or .jsonl path (default workshop2025)")
    p.add_argument("--model", default=None, help="embedding model (default: the bundled all-MiniLM-L6-v2)")
