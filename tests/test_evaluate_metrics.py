"""Our IR metrics agree with a kept implementation (ranx) to 4 decimals."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.evaluate import QuerySet, mean_metrics
from tests.conftest import ROOT

ranx = pytest.importorskip("ranx")
SCIFACT = ROOT.parent / "shared" / "eval" / "scifact"
RANX_NAMES = {"ndcg@10": "ndcg@10", "recall@10": "recall@10", "recall@100": "recall@100", "mrr@10": "mrr@10"}


def _ranx_means(rankings, queries: QuerySet) -> dict[str, float]:
    qrels = ranx.Qrels({q: dict(queries.qrels[q]) for q in queries.ids})
    run = ranx.Run(
        {q: {doc: float(len(r) - i) for i, doc in enumerate(r)} for q, r in zip(queries.ids, rankings, strict=True)}
    )
    found = ranx.evaluate(qrels, run, list(RANX_NAMES.values()), make_comparable=True)
    return {ours: round(float(found[theirs]), 4) for ours, theirs in RANX_NAMES.items()}


@pytest.mark.slow  # ranx compiles its metrics with numba on first use (a few seconds)
def test_metrics_match_ranx_on_random_graded_runs():
    rng = np.random.default_rng(0)
    docs = [f"d{i}" for i in range(300)]
    ids = tuple(f"q{i}" for i in range(60))
    qrels = {
        q: {str(d): int(rng.integers(1, 3)) for d in rng.choice(docs, size=int(rng.integers(1, 8)), replace=False)}
        for q in ids
    }
    queries = QuerySet(ids, tuple("" for _ in ids), qrels)
    rankings = []
    for q in ids:  # each query's relevant documents at random places, some in the top 10, some deep, some missing
        ranking = [d for d in rng.choice(docs, size=150, replace=False) if d not in qrels[q]][:120]
        for doc in qrels[q]:
            if rng.random() < 0.8:
                ranking.insert(int(rng.integers(0, 110)), doc)
        rankings.append(ranking)
    assert mean_metrics(rankings, queries) == _ranx_means(rankings, queries)


@pytest.mark.slow
@pytest.mark.skipif(not SCIFACT.is_dir(), reason=f"needs BEIR SciFact at {SCIFACT} (../shared/eval/scifact)")
def test_metrics_match_ranx_on_scifact_test_bm25():
    from abstract_search.evaluate import load_beir
    from abstract_search.search.lexical import build_lexical_index

    records, queries = load_beir(SCIFACT, "test")
    index = build_lexical_index(records)
    ids = [r.id for r in records]
    rankings = [[ids[j] for j in np.argsort(-index.scores(text), kind="stable")[:100]] for text in queries.texts]
    ours = mean_metrics(rankings, queries)
    assert ours == _ranx_means(rankings, queries)
    assert ours["ndcg@10"] > 0.6  # BM25 on SciFact: a sane run, not an empty one
