"""Scale and speed on real ML-conference abstracts (1k, 10k, optionally all 51,193).

For each subset (a fixed random sample): a cold build (`Engine.open(build="stale")` into a fresh
index root, in a child process so its peak memory is its own) against a plain
`SentenceTransformer.encode` of the same texts (on at most --baseline-sample of them), warm query
latency, exact vs HNSW (recall@10 and time), topics + map time, and the rebuild after editing one
abstract. Once per run: the encode throughput of the torch, ONNX fp32 and ONNX int8 backends on
the same texts, and the cold `abstract-search search` against `import sentence_transformers`.
The data set is read from /work/shared/eval (internal evaluation only) and never copied into the
project; the subsets and indexes live in a temporary folder that is deleted afterwards.

    .venv/bin/python benchmarks/scale.py [--sizes 1000,10000] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from _machine import machine  # noqa: E402

DATA = ROOT.parent / "shared" / "eval" / "ml_conf_abstracts" / "abstracts.jsonl.gz"
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"  # --subsets-only runs write scale_<sizes>.json
PYTHON = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def load_rows(seed: int = 0) -> list[dict]:
    """All abstracts with a title and an abstract, in a fixed shuffled order (subsets are prefixes)."""
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    rows = [r for r in rows if (r.get("title") or "").strip() and (r.get("abstract") or "").strip()]
    order = np.random.default_rng(seed).permutation(len(rows))
    return [rows[i] for i in order]


def to_records(rows: list[dict]):
    from abstract_search.records import Abstract

    return [
        Abstract(
            id=f"R{i:05d}",
            title=r["title"].strip(),
            kind="paper",
            speakers=tuple(a for a in (r.get("authors") or [])[:20] if isinstance(a, str)),
            abstract=r["abstract"].strip(),
        )
        for i, r in enumerate(rows)
    ]


def child_build(corpus: Path, root: Path) -> dict:
    """Runs one build in a child process; returns its wall time, peak RSS and what it printed."""
    code = (
        "import json, re, time; t = time.perf_counter()\n"
        "peak_mib = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]) / 1024\n"
        "from abstract_search.search.engine import Engine\n"
        f"e = Engine.open({str(corpus)!r}, root={str(root)!r}, build='stale', progress=False)\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, 'index_type': e.index.manifest.index_type,"
        " 'window_tokens': e.index.manifest.window_tokens, 'sentence_vectors': e.index.sentences.vectors is not None,"
        " 'peak_rss_mib': peak_mib()}))\n"
    )
    done = subprocess.run([PYTHON, "-c", code], env=ENV, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def encode_throughput(texts: list[str]) -> dict:
    """Texts per second of a plain SentenceTransformer.encode and of the ONNX backends, same texts."""
    from sentence_transformers import SentenceTransformer

    from abstract_search.embed.backends import bundled_model_path, load_embedder

    plain = SentenceTransformer(bundled_model_path(), device="cpu")
    encoders = {
        "sentence_transformers": lambda t: plain.encode(t, batch_size=32),
        "onnx": load_embedder(backend="onnx").encode,
        "onnx-int8": load_embedder(backend="onnx-int8").encode,
    }
    out = {name: 0.0 for name in encoders}
    for _ in range(2):  # in turn, twice; the best round of each counts (the machine is shared)
        for name, encode in encoders.items():
            encode(texts[:32])  # warm up
            start = time.perf_counter()
            encode(texts)
            out[name] = max(out[name], round(len(texts) / (time.perf_counter() - start), 2))
    return out


def plain_throughput(texts: list[str]) -> float:
    from sentence_transformers import SentenceTransformer

    from abstract_search.embed.backends import bundled_model_path

    plain = SentenceTransformer(bundled_model_path(), device="cpu")
    plain.encode(texts[:32], batch_size=32)
    start = time.perf_counter()
    plain.encode(texts, batch_size=32)
    return len(texts) / (time.perf_counter() - start)


def latency(engine, queries: list[str]) -> dict:
    for query in queries[:10]:
        engine.search(query, 10)
    times = []
    for query in queries:
        start = time.perf_counter()
        engine.search(query, 10)
        times.append(1000 * (time.perf_counter() - start))
    return {"p50_ms": round(float(np.percentile(times, 50)), 1), "p95_ms": round(float(np.percentile(times, 95)), 1)}


def exact_vs_hnsw(embeddings: np.ndarray, query_vectors: np.ndarray) -> dict:
    from abstract_search.search.index import faiss_search, make_faiss_index

    exact = make_faiss_index(embeddings, kind="flat")
    start = time.perf_counter()
    approx = make_faiss_index(embeddings, kind="hnsw")
    hnsw_build = time.perf_counter() - start
    timings = {}
    found = {}
    for name, index in (("exact", exact), ("hnsw", approx)):
        start = time.perf_counter()
        for vector in query_vectors:
            found.setdefault(name, []).append(faiss_search(index, vector[None, :], 10)[1][0])
        timings[name] = 1000 * (time.perf_counter() - start) / len(query_vectors)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found["exact"], found["hnsw"], strict=True)])
    return {
        "recall@10": round(float(recall), 4),
        "exact_ms_per_query": round(timings["exact"], 2),
        "hnsw_ms_per_query": round(timings["hnsw"], 2),
        "hnsw_build_s": round(hnsw_build, 1),
    }


def cold_start(runs: int = 3) -> dict:
    """Median wall time of a cold CLI search against a bare `import sentence_transformers`."""
    search = [PYTHON, "-m", "abstract_search", "search", "boroxol rings"]
    bare = [PYTHON, "-c", "import sentence_transformers"]
    times: dict[str, list[float]] = {"search": [], "import_st": []}
    for _ in range(runs):
        for name, command in (("search", search), ("import_st", bare)):
            start = time.perf_counter()
            subprocess.run(command, env=ENV, capture_output=True, check=True, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    search_s, import_s = statistics.median(times["search"]), statistics.median(times["import_st"])
    return {"search_s": round(search_s, 3), "import_st_s": round(import_s, 3), "ratio": round(search_s / import_s, 3)}


def run_size(rows: list[dict], size: int, work: Path, args) -> dict:
    from abstract_search.records import write_records
    from abstract_search.search.engine import Engine
    from abstract_search.topics.corpus import compute_topics
    from abstract_search.topics.map import compute_layout

    records = to_records(rows[:size])
    corpus = work / f"mlconf{size}.jsonl"
    write_records(records, corpus)
    root = work / f"index{size}"
    texts = [r.text for r in records]
    out: dict = {"records": size}
    sample = texts[: args.baseline_sample]
    plain = plain_throughput(sample)
    build = child_build(corpus, root)
    plain = max(plain, plain_throughput(sample))  # before and after the build; the faster counts
    out["build"] = {
        "seconds": round(build["seconds"], 1),
        "records_per_s": round(size / build["seconds"], 2),
        "plain_st_encode_per_s": round(plain, 2),
        "plain_st_sample": len(sample),
        "throughput_ratio": round(size / build["seconds"] / plain, 2),
        "peak_rss_mib": round(build["peak_rss_mib"]),
        "window_tokens": build["window_tokens"],
        "sentence_vectors": build["sentence_vectors"],
        "index_type": build["index_type"],
    }
    start = time.perf_counter()
    engine = Engine.open(corpus, root=root, build="never", progress=False)
    out["open_s"] = round(time.perf_counter() - start, 2)
    # Titles of abstracts outside the subset (of the first ones inside it, for the whole set).
    held_out = [r["title"] for r in rows[size : size + args.queries]] or [r["title"] for r in rows[: args.queries]]
    out["query"] = latency(engine, held_out)
    query_vectors = engine.embed_queries(held_out)
    out["exact_vs_hnsw"] = exact_vs_hnsw(engine.embeddings, query_vectors)
    # Edit one abstract and rebuild through the same command path.
    edited = list(records)
    edited[size // 2] = _with_abstract(records[size // 2])
    write_records(edited, corpus)
    rebuild = child_build(corpus, root)
    out["rebuild_one_edit"] = {
        "seconds": round(rebuild["seconds"], 2),
        "fraction_of_full_build": round(rebuild["seconds"] / build["seconds"], 4),
    }
    print(json.dumps({"partial": size, **out}), file=sys.stderr, flush=True)
    start = time.perf_counter()
    compute_topics(engine.records, engine.embeddings)
    out["topics_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    compute_layout(engine.embeddings)
    out["map_s"] = round(time.perf_counter() - start, 1)
    return out


def _with_abstract(record):
    from dataclasses import replace

    return replace(record, abstract=record.abstract + " We also release code.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated subset sizes (51193 = all)")
    parser.add_argument("--baseline-sample", type=int, default=2000, help="texts for the plain-encode baseline")
    parser.add_argument("--queries", type=int, default=200, help="held-out titles used as queries")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--subsets-only", action="store_true", help="skip the backend and cold-start figures")
    args = parser.parse_args()
    rows = load_rows()
    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict = {"data": "ml_conf_abstracts", "available": len(rows), "subsets": {}, "machine": machine()}
    work = Path(tempfile.mkdtemp(prefix="abstract-search-scale-"))
    try:
        if not args.subsets_only:
            texts = [r.text for r in to_records(rows[: min(args.baseline_sample, 500)])]
            result["encode_per_s"] = encode_throughput(texts)
            result["encode_texts"] = len(texts)
            result["cold_start"] = cold_start()
        for size in sizes:
            result["subsets"][str(size)] = run_size(rows, min(size, len(rows)), work, args)
            if not args.json:
                print(json.dumps({size: result["subsets"][str(size)]}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["parent_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if not args.json and not args.subsets_only:
        print(f"encode texts/s on {result['encode_texts']} abstracts: {result['encode_per_s']}")
        cold = result["cold_start"]
        print(f"cold search {cold['search_s']} s vs import sentence_transformers {cold['import_st_s']} s")
    if not args.json:
        print(
            f"{'records':>8s} {'build s':>8s} {'rec/s':>7s} {'vs ST':>6s} {'RSS MiB':>8s} {'p50 ms':>7s} "
            f"{'p95 ms':>7s} {'HNSW R@10':>9s} {'topics s':>8s} {'map s':>6s} {'edit':>7s}"
        )
        for size, s in result["subsets"].items():
            print(
                f"{size:>8s} {s['build']['seconds']:8.1f} {s['build']['records_per_s']:7.1f} "
                f"{s['build']['throughput_ratio']:6.2f} {s['build']['peak_rss_mib']:8d} {s['query']['p50_ms']:7.1f} "
                f"{s['query']['p95_ms']:7.1f} {s['exact_vs_hnsw']['recall@10']:9.4f} {s['topics_s']:8.1f} "
                f"{s['map_s']:6.1f} {s['rebuild_one_edit']['fraction_of_full_build']:7.2%}"
            )
    results = RESULTS if not args.subsets_only else RESULTS.with_name(f"scale_{args.sizes.replace(',', '_')}.json")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
