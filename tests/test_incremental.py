"""A rebuild after editing one record reuses the caches and serves exactly what a fresh build does."""

from __future__ import annotations

import filecmp
import json

import numpy as np

from abstract_search.search import lexical
from abstract_search.search.engine import Engine
from abstract_search.search.index import index_folder

from .conftest import MINI_CORPUS

QUERIES = ["boroxol rings in B2O3", "cooling rate and fictive temperature", "Deringer silica", "Jincheng Du", "glass"]


def _rows(count: int = 40) -> list[dict]:
    rng = np.random.default_rng(3)
    words = "glass silica boroxol ring sodium lithium cooling melt network oxide pressure Li⁺ B2O3 Q(n)".split()
    rows = [dict(row) for row in MINI_CORPUS]
    for i in range(count):
        text = " ".join(rng.choice(words, size=int(rng.integers(5, 40))))
        speakers = [f"Author {i % 9}"] if i % 4 else []
        rows.append({"id": f"X{i:02d}", "title": f"Study {i} of {text[:20]}", "abstract": text, "speakers": speakers})
    return rows


def _write(path, rows) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def _open(corpus, root, embedder) -> Engine:
    return Engine.open(corpus, embedder=embedder, root=root, build="stale", progress=False)


def test_an_edited_corpus_is_rebuilt_from_the_caches_into_the_same_index(tmp_path, fake_embedder, monkeypatch):
    corpus = tmp_path / "corpus.jsonl"
    rows = _rows()
    _write(corpus, rows)
    _open(corpus, tmp_path / "incremental", fake_embedder)
    rows[1]["abstract"] = "Boroxol rings and a fictive temperature: the cooling rate matters for B2O3."
    rows[10]["speakers"] = ["Volker Deringer"]
    _write(corpus, rows)
    tokenized, tokenize = [], lexical.tokenize
    monkeypatch.setattr(lexical, "tokenize", lambda text: tokenized.append(text) or tokenize(text))
    rebuilt = _open(corpus, tmp_path / "incremental", fake_embedder)
    assert sorted(tokenized) == sorted([rows[1]["title"] + ". " + rows[1]["abstract"], "Volker Deringer"])
    monkeypatch.undo()
    fresh = _open(corpus, tmp_path / "fresh", fake_embedder)
    assert np.array_equal(rebuilt.embeddings, fresh.embeddings)
    assert rebuilt.lexical.idf_ == fresh.lexical.idf_
    for query in QUERIES:
        assert np.array_equal(rebuilt.lexical.scores(query), fresh.lexical.scores(query)), query
        assert rebuilt.search(query, 10) == fresh.search(query, 10), query
    assert rebuilt.lexical.scores("boroxol")[1] > 0  # the edit is served
    assert [h.id for h in rebuilt.related("T01", 5)] == [h.id for h in fresh.related("T01", 5)]
    bm25_fresh = index_folder("corpus", tmp_path / "fresh") / "bm25"
    bm25_rebuilt = index_folder("corpus", tmp_path / "incremental") / "bm25"
    files = sorted(p.relative_to(bm25_fresh).as_posix() for p in bm25_fresh.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(bm25_fresh, bm25_rebuilt, files, shallow=False)
    assert files and not mismatch and not errors
