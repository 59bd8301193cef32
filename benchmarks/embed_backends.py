"""Embedding backends side by side: encode throughput and SciFact nDCG@10 (torch vs ONNX fp32 vs int8).

Throughput: texts per second on the same SciFact abstracts, torch first, then ONNX fp32, then
int8, then the build's path ("build": int8 reading each whole document in 512-token windows,
`encode_late`), repeated `--rounds` times in turn (the machine is shared; the best round of each
counts). Quality: each one's document vectors through the default hybrid pipeline and dense
alone, on train (809 queries) and test (300); no setting is chosen here. Vectors are cached
per model id under index/_bench/embed_cache (torch and ONNX fp32 share one id: same vectors to
1e-6; int8 is `...#int8w7`).

    .venv/bin/python benchmarks/embed_backends.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _machine import machine  # noqa: E402

from abstract_search.embed.backends import load_embedder  # noqa: E402
from abstract_search.embed.cache import embed_documents, embed_with_cache  # noqa: E402
from abstract_search.evaluate import load_beir, mean_metrics, pipeline_rankings  # noqa: E402
from abstract_search.search.lexical import build_lexical_index  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "eval" / "scifact"
CACHE = ROOT / "index" / "_bench" / "embed_cache"
RESULTS = ROOT / "benchmarks" / "results" / "embed_backends.json"
BACKENDS = ("torch", "onnx", "onnx-int8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--texts", type=int, default=300, help="abstracts per throughput round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    records, train = load_beir(SCIFACT, "train")
    _, test = load_beir(SCIFACT, "test")
    texts = [r.text for r in records]
    embedders = {name: load_embedder(backend=name) for name in BACKENDS}
    sample = texts[: args.texts]
    runs = {name: (lambda t, e=embedder: e.encode(t, batch_size=32)) for name, embedder in embedders.items()}
    runs["build"] = lambda t: embedders["onnx-int8"].encode_late(t, [[] for _ in t])
    speed = {name: 0.0 for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            run(sample[:32])
            start = time.perf_counter()
            run(sample)
            speed[name] = max(speed[name], len(sample) / (time.perf_counter() - start))
    result: dict = {"throughput_texts_per_s": {k: round(v, 2) for k, v in speed.items()}, "texts": len(sample)}
    result["machine"] = machine()
    result["speedup_vs_torch"] = {k: round(v / speed["torch"], 2) for k, v in speed.items()}
    lexical = build_lexical_index(records)
    for name in ("onnx", "onnx-int8", "build"):  # torch shares the fp32 vectors (and cache) with onnx
        embedder = embedders["onnx-int8" if name == "build" else name]
        if name == "build":
            doc_vectors, _ = embed_documents(texts, embedder, CACHE, show_progress=not args.json)
        else:
            doc_vectors = embed_with_cache(texts, embedder, CACHE, show_progress=not args.json)
        result[name] = {"model": embedder.model_id}
        for split, queries in (("train", train), ("test", test)):
            query_vectors = embed_with_cache(list(queries.texts), embedder, CACHE)
            rankings = pipeline_rankings(records, queries.texts, doc_vectors, query_vectors, lexical=lexical)
            result[name][split] = {
                p: round(mean_metrics(rankings[p], queries)["ndcg@10"], 4) for p in ("dense", "hybrid")
            }
    for name in ("onnx-int8", "build"):
        result[f"{name}_minus_fp32"] = {
            split: {p: round(result[name][split][p] - result["onnx"][split][p], 4) for p in ("dense", "hybrid")}
            for split in ("train", "test")
        }
    if not args.json:
        print(f"throughput on {len(sample)} SciFact abstracts (texts/s): {result['throughput_texts_per_s']}")
        for name in ("onnx", "onnx-int8", "build"):
            print(f"{name:10s} nDCG@10 train {result[name]['train']} test {result[name]['test']}")
        print(f"int8 - fp32: {result['onnx-int8_minus_fp32']}; build - fp32: {result['build_minus_fp32']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
