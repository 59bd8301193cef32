"""Long fuzz run: generated queries and filters, malformed CSV/TSV/JSONL tables and abstract books.

Queries (default 10,000) run through the workshop engine (real model) in batches, plus a
batch file through the real CLI in a subprocess; every outcome must be ranked hits or a
`CorpusError` subclass with a specific message. Files (default 1,200) are mutations of valid
tables made from the workshop records and of the real abstract book; each must load or be
refused with a `CorpusError` naming the file, never a traceback. Mutations that keep a table
valid (BOM, CRLF, blank lines, extra or reordered columns) must keep every record. The first
traceback of each kind is printed. Seeded: the same run every time.

    .venv/bin/python benchmarks/fuzz.py [--queries 10000] [--files 1200] [--json]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import numpy as np  # noqa: E402

from abstract_search.records import CorpusError, read_records  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "fuzz.json"
BUNDLED = ROOT / "src" / "abstract_search" / "bundled"
BOOK = BUNDLED / "workshop2025_abstract_book.txt"
ODD = [
    "\x00", "\u200b", "\u202e", "\ufeff", "\t", "\r\n", "🧪", "é", "e\u0301", "ß", "İ", "Ω", "β", "₂", "⁺",
    "(", ")", "((", "))", "[", "]", "{", "}", "*", "?", "+", "\\", "|", "^", "$", ".", "-", "–", "—", "'", '"',
    "%", "&", "<script>", "' OR 1=1 --", "..", "/", "~", "#", "@", ";", ":", "\x7f", "\x1b[31m",
]  # fmt: skip


def random_query(rng: random.Random, words: list[str]) -> str:
    shape = rng.random()
    if shape < 0.05:
        return rng.choice(["", " ", "\n\t", "\u200b", "\x00", "   \r\n  "])
    if shape < 0.10:
        return "".join(rng.choice(ODD) for _ in range(rng.randint(1, 30)))
    if shape < 0.13:
        return " ".join(rng.choice(words) for _ in range(rng.randint(300, 900)))  # longer than 1,000 chars
    if shape < 0.20:
        return "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 40)))  # lone surrogates too
    parts = [rng.choice(words) for _ in range(rng.randint(1, 8))]
    for _ in range(rng.randint(0, 3)):
        parts.insert(rng.randint(0, len(parts)), rng.choice(ODD))
    return (" " if rng.random() < 0.7 else "").join(parts)


def random_filters(rng: random.Random, records):
    from abstract_search.search.fusion import Filters

    if rng.random() < 0.6:
        return None
    record = rng.choice(records)
    pools = {
        "kind": [record.kind, "talk", "poster", "keynote", ""],
        "date": [record.date, "2025-08-08", "2025-13-45", "tomorrow"],
        "session": [record.session, record.session[:4], "Day 2", "🧪"],
        "tag": [*record.tags, "MD", "nothing"],
        "speaker": [*record.speakers, "Urata", "O'Brien", "("],
        "affiliation": [*record.affiliations, "Univ.", "AGC", ""],
    }
    chosen = rng.sample(list(pools), rng.randint(1, 2))
    return Filters(**{name: rng.choice(pools[name] or [None]) for name in chosen})


def check_hits(hits, ids, top_k) -> str | None:
    if len(hits) > top_k or [h.rank for h in hits] != list(range(1, len(hits) + 1)):
        return "bad ranks or too many hits"
    if not {h.id for h in hits} <= ids or len({h.id for h in hits}) != len(hits):
        return "unknown or repeated ids"
    if not all(np.isfinite([h.score, h.scores.lexical, h.scores.dense]).all() for h in hits):
        return "non-finite score"
    if any(not 0 <= s < e <= len(h.snippet) for h in hits for s, e in h.highlights):
        return "highlight outside the snippet"
    return None


def fuzz_queries(count: int, rng: random.Random, failures: dict) -> dict:
    from abstract_search.search.engine import Engine
    from abstract_search.search.lexical import tokenize

    engine = Engine.open(progress=False)
    ids = {r.id for r in engine.records}
    words = sorted(
        {w for r in engine.records for w in r.text.split()} | {t for r in engine.records for t in tokenize(r.title)}
    )
    outcomes = {"hits": 0, "user_error": 0, "errors": {}}
    queries = [random_query(rng, words) for _ in range(count)]
    start = time.perf_counter()
    for batch_start in range(0, count, 50):
        batch = queries[batch_start : batch_start + 50]
        filters = random_filters(rng, engine.records)
        top_k = rng.choice([1, 3, 10, 50])
        try:
            results = engine.search_many(batch, top_k, filters)
        except Exception:  # noqa: BLE001 - one bad query or filter: rerun one by one to find it
            results = [None] * len(batch)
        for query, hits in zip(batch, results, strict=True):
            try:
                hits = hits if hits is not None else engine.search(query, top_k, filters)
                problem = check_hits(hits, ids, top_k)
                if problem:
                    failures.setdefault(f"query: {problem}", repr(query)[:200])
                outcomes["hits"] += 1
            except CorpusError as err:
                outcomes["user_error"] += 1
                kind = type(err).__name__
                outcomes["errors"][kind] = outcomes["errors"].get(kind, 0) + 1
                if len(str(err)) < 15:
                    failures.setdefault("query: vague error", str(err))
            except Exception:  # noqa: BLE001 - a traceback a user would see
                failures.setdefault("query: traceback", f"{query!r:.200}\n{traceback.format_exc()}")
    outcomes["seconds"] = round(time.perf_counter() - start, 1)
    outcomes["queries"] = count
    outcomes["cli_batch"] = cli_batch(queries[:2000], failures)
    return outcomes


def cli_batch(queries: list[str], failures: dict) -> dict:
    """The same queries through `abstract-search search --batch FILE --json` in a subprocess."""
    lines = [" ".join(q.replace("\x00", " ").split()) for q in queries]
    lines = [line for line in lines if line]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8", errors="replace") as handle:
        handle.write("\n".join(lines) + "\n")
    command = [sys.executable, "-m", "abstract_search", "search", "--batch", handle.name, "--json", "--top-k", "3"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src")})
    Path(handle.name).unlink()
    out = [json.loads(line) for line in done.stdout.splitlines()]
    if done.returncode != 0 or "Traceback" in done.stderr or len(out) != len(lines):
        failures.setdefault(
            "cli batch", f"exit {done.returncode}, {len(out)}/{len(lines)} lines\n{done.stderr[-2000:]}"
        )
    return {"queries": len(lines), "json_lines": len(out), "exit": done.returncode}


# --- files ----------------------------------------------------------------------------------


def table_text(records, delimiter: str, columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(columns)
    for r in records:
        values = {"id": r.id, "title": r.title, "abstract": r.abstract, "speakers": "; ".join(r.speakers),
                  "kind": r.kind, "date": r.date, "notes": "x"}  # fmt: skip
        writer.writerow([values[c] for c in columns])
    return buffer.getvalue()


def jsonl_text(records) -> str:
    rows = [
        {"id": r.id, "title": r.title, "abstract": r.abstract, "speakers": list(r.speakers), "kind": r.kind}
        for r in records
    ]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def keep_valid(text: str, rng: random.Random) -> str:
    """Changes that a loader must take in its stride: every record has to survive."""
    choice = rng.randrange(3)
    if choice == 0:
        return "\ufeff" + text
    if choice == 1:
        return text.replace("\n", "\r\n")
    lines = text.split("\n")
    for _ in range(3):
        lines.insert(rng.randint(1, len(lines)), "")
    return "\n".join(lines)


def damage(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(10)
    if choice == 0:
        return data[: rng.randint(0, len(data))]
    if choice == 1:
        out = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if choice == 2:
        return data.decode("utf-8").encode(rng.choice(["latin-1", "utf-16", "cp1252", "utf-32"]), errors="replace")
    if choice == 3:
        at = rng.randrange(len(data))
        return data[:at] + rng.choice([b"\x00", b'"', b"\r", b"\n\n\n", b"\t", b",", b"{", b"\xff\xfe"]) + data[at:]
    if choice == 4:
        lines = data.split(b"\n")
        del lines[rng.randrange(len(lines))]
        return b"\n".join(lines)
    if choice == 5:
        return data.replace(b"title", rng.choice([b"Title ", b"name", b"", b"titel"]), 1)
    if choice == 6:
        at = rng.randrange(len(data))
        return data[:at] + b"A" * rng.choice([10, 200_000]) + data[at:]
    if choice == 7:
        return rng.choice([b"", b" \n\t\n", b"\x00" * 50, b"\xef\xbb\xbf", b"PK\x03\x04" + data[:100]])
    if choice == 8:
        lines = data.split(b"\n")
        rng.shuffle(lines)
        return b"\n".join(lines)
    return data.replace(b",", b";") if rng.random() < 0.5 else data.replace(b'"', b"")


def fuzz_files(count: int, rng: random.Random, failures: dict, folder: Path) -> dict:
    from abstract_search.ingest import ingest_file
    from tests.conftest import FakeEmbedder

    records = read_records(BUNDLED / "workshop2025.jsonl")
    embedder = FakeEmbedder()
    book = BOOK.read_text(encoding="utf-8")
    outcomes = {
        "files": 0,
        "loaded": 0,
        "refused": 0,
        "valid_kept": 0,
        "valid_checked": 0,
        "by_type": {},
        "seconds": 0.0,
    }
    start = time.perf_counter()
    for number in range(count):
        kind = rng.choice(["csv", "tsv", "jsonl"]) if number % 10 else "txt"  # a book takes ~1 s to parse
        subset = rng.sample(records, rng.randint(1, len(records)))
        if kind == "txt":
            cut = rng.choice([len(book), len(book), rng.randint(0, len(book))])
            text, valid = book[:cut], None
        elif kind == "jsonl":
            text, valid = jsonl_text(subset), [r.title for r in subset]
        else:
            columns = ["title", "abstract", "speakers", "id", "kind", "date", "notes"]
            rng.shuffle(columns)
            text, valid = table_text(subset, "\t" if kind == "tsv" else ",", columns), [r.title for r in subset]
        path = folder / f"f{number:05d}.{kind}"
        keeps = valid is not None and rng.random() < 0.25
        if keeps:
            path.write_bytes(keep_valid(text, rng).encode("utf-8"))
        else:
            data = text.encode("utf-8")
            path.write_bytes(damage(data, rng) if data else data)
        outcomes["files"] += 1
        outcomes["by_type"][kind] = outcomes["by_type"].get(kind, 0) + 1
        try:
            result = ingest_file(path, embedder=embedder)
            outcomes["loaded"] += 1
            if keeps:
                outcomes["valid_checked"] += 1
                if [r.title for r in result.records] == valid:
                    outcomes["valid_kept"] += 1
                else:
                    failures.setdefault("valid records lost", f"{path.name}: {len(result.records)}/{len(valid)}")
        except CorpusError as err:
            outcomes["refused"] += 1
            if keeps:
                failures.setdefault("valid file refused", f"{path.name}: {err}")
            if path.name not in str(err) and "book" not in str(err).lower():
                failures.setdefault("file error without the file name", str(err)[:300])
        except Exception:  # noqa: BLE001 - a traceback a user would see
            failures.setdefault(f"file traceback ({kind})", f"{path.name}\n{traceback.format_exc()}")
            keep = folder.parent / "fuzz_failures"
            keep.mkdir(exist_ok=True)
            path.replace(keep / path.name)
            continue
        path.unlink()
    outcomes["seconds"] = round(time.perf_counter() - start, 1)
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=1_200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    failures: dict[str, str] = {}
    work = Path(tempfile.mkdtemp(prefix="abstract-search-fuzz-"))
    (work / "files").mkdir()
    result = {
        "queries": fuzz_queries(args.queries, random.Random(args.seed), failures),
        "files": fuzz_files(args.files, random.Random(args.seed + 1), failures, work / "files"),
        "failure_kinds": sorted(failures),
        "kept_failing_inputs": str(work / "fuzz_failures") if (work / "fuzz_failures").exists() else None,
    }
    if not args.json:
        for name, detail in failures.items():
            print(f"--- {name}\n{detail}")
        q, f = result["queries"], result["files"]
        print(
            f"queries: {q['queries']} ({q['hits']} ranked, {q['user_error']} user errors {q['errors']}) "
            f"in {q['seconds']} s"
        )
        print(f"CLI batch: {q['cli_batch']}")
        print(f"files: {f['files']} {f['by_type']}: {f['loaded']} loaded, {f['refused']} refused; "
              f"valid kept {f['valid_kept']}/{f['valid_checked']}; {f['seconds']} s")  # fmt: skip
        print(f"failures: {len(failures)}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
