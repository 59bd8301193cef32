"""Which PDF library reads abstract books best: pypdfium2 (what ingest uses) against pdfplumber.

For each book of ../shared/books: seconds to get every line with its font size and weight,
and the share of the gold body phrases found verbatim (normalised as score_ingest.py does) in
the text each library gives; words glued together by tight spacing lose phrases. pdfplumber
is optional (`pip install pdfplumber`); without it only pypdfium2 is measured.

    .venv/bin/python benchmarks/pdf_readers.py [--books DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pdf_readers.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine, save_result  # noqa: E402


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def read_pypdfium2(path: Path) -> str:
    from abstract_search.ingest.reader import read_pdf

    return "\n".join(line.text for line in read_pdf(path).lines)


def read_pdfplumber(path: Path) -> str:
    import pdfplumber

    out = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:  # words with their font, grouped into lines by their top
            words = page.extract_words(extra_attrs=["fontname", "size"])
            lines: dict[int, list[str]] = {}
            for word in words:
                lines.setdefault(round(word["top"]), []).append(word["text"])
            out += [" ".join(ws) for _, ws in sorted(lines.items())]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", default=str(ROOT.parent / "shared" / "books"))
    args = parser.parse_args(argv)
    readers = {"pypdfium2": read_pypdfium2}
    try:
        import pdfplumber  # noqa: F401

        readers["pdfplumber"] = read_pdfplumber
    except ImportError:
        print("pdfplumber not installed: measuring pypdfium2 only", file=sys.stderr)
    results: dict[str, dict] = {}
    for folder in sorted(p for p in Path(args.books).iterdir() if (p / "gold.json").is_file()):
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
        phrases = [norm(e["phrase"]) for e in gold["entries"] if e.get("phrase")]
        for name, read in readers.items():
            started = time.perf_counter()
            text = norm(read(folder / gold["files"][0]))
            seconds = time.perf_counter() - started
            found = sum(p in text for p in phrases) / len(phrases)
            results.setdefault(folder.name, {})[name] = {"seconds": round(seconds, 2), "phrases_found": round(found, 4)}
    print(f"{'book':16s} {'reader':12s} {'seconds':>8s} {'phrases found':>14s}")
    for book, by_reader in results.items():
        for name, r in by_reader.items():
            print(f"{book:16s} {name:12s} {r['seconds']:8.2f} {r['phrases_found']:14.4f}")
    result = {"books": results, "machine": machine()}
    save_result(RESULTS, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
