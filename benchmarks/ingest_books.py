"""Abstract books of other meetings, ingested and scored against their hand-checked gold.

For every folder of ../shared/books/ (or --books DIR): ingests the book (the first file of
gold.json's `files`) with its program (the second, if any) through `ingest_file`, scores the
records with the folder's own score_ingest.py, and prints a table, then one JSON line
{"books": {NAME: {...}}, "mean": {...}}.

    .venv/bin/python benchmarks/ingest_books.py [--books DIR] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "ingest_books.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine, save_result  # noqa: E402

FIGURES = ("recall", "title", "body", "speaker", "time", "precision", "bleed")


def load_scorer(books: Path):
    spec = importlib.util.spec_from_file_location("score_ingest", books / "score_ingest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score_book(folder: Path, scorer) -> dict:
    from abstract_search.ingest import ingest_file
    from abstract_search.records import write_records

    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    book = folder / gold["files"][0]
    program = folder / gold["files"][1] if len(gold["files"]) > 1 else None
    started = time.perf_counter()
    result = ingest_file(book, program=program)
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = write_records(result.records, Path(tmp) / "records.jsonl")
        scores = scorer.score(scorer.load_records(str(path)), gold)
    pages = sum(1 for line in result.lines if line.startswith("book:"))
    return {**scores, "seconds": round(seconds, 2), "report_lines": len(result.lines), "_pages": pages}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", default=str(ROOT.parent / "shared" / "books"))
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    books = Path(args.books)
    if not (books / "score_ingest.py").is_file():
        print(f"no book set at {books} (needs score_ingest.py and one folder per book)", file=sys.stderr)
        return 2
    scorer = load_scorer(books)
    results = {}
    for folder in sorted(p for p in books.iterdir() if (p / "gold.json").is_file()):
        results[folder.name] = score_book(folder, scorer)
    if not args.json:
        print(f"{'book':16s} {'records':>7s} " + " ".join(f"{k:>9s}" for k in FIGURES) + f" {'seconds':>8s}")
        for name, r in results.items():
            cells = " ".join(f"{'-' if r[k] is None else format(r[k], '.3f'):>9s}" for k in FIGURES)
            print(f"{name:16s} {r['records']:7d} {cells} {r['seconds']:8.2f}")
            for title in r["missed"][:5]:
                print(f"    missed: {title[:90]}")
            for title in r["junk"][:5]:
                print(f"      junk: {title[:90]}")
    mean = {}
    for key in (*FIGURES, "seconds"):
        values = [r[key] for r in results.values() if r[key] is not None]
        mean[key] = round(sum(values) / len(values), 4) if values else None
    books = {n: {k: v for k, v in r.items() if not k.startswith("_")} for n, r in results.items()}
    result = {"books": books, "mean": mean, "machine": machine()}
    save_result(RESULTS, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
