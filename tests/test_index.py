"""The dense index: manifest checks, atomic builds, the embedding cache, FAISS backends."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstract_search.embed.backends import INT8_SUFFIX, normalize_rows
from abstract_search.embed.cache import embed_with_cache
from abstract_search.records import Abstract, read_records
from abstract_search.search.engine import Engine
from abstract_search.search.index import (
    IndexMismatchError,
    build_index,
    faiss_search,
    index_folder,
    load_index,
    make_faiss_index,
    read_manifest,
)


class CountingEmbedder:
    """Wraps an embedder and remembers every text it was asked to encode."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner, self.seen, self.fail_after = inner, [], fail_after
        self.model_id, self.dimension = inner.model_id, inner.dimension

    def encode(self, texts, **kwargs):
        if self.fail_after is not None and len(self.seen) + len(texts) > self.fail_after:
            raise RuntimeError("simulated crash while embedding")
        self.seen.extend(texts)
        return self.inner.encode(texts, **kwargs)


def test_build_writes_manifest_and_only_safe_file_types(mini_corpus, tmp_path, fake_embedder):
    records = read_records(mini_corpus)
    index = build_index(records, fake_embedder, "mini", root=tmp_path)
    folder = index_folder("mini", tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == fake_embedder.model_id and manifest["dimension"] == 64
    assert manifest["records"] == len(records) and manifest["index_type"] == "flat"
    assert {"faiss", "numpy", "bm25s"} <= set(manifest["versions"]) and manifest["built_at"]
    assert {p.suffix for p in folder.iterdir()} <= {".json", ".npy", ".faiss"}
    assert index.embeddings.shape == (len(records), 64)
    loaded = load_index(records, "mini", fake_embedder.model_id, tmp_path)
    assert np.array_equal(loaded.embeddings, index.embeddings)
    assert np.array_equal(loaded.sentences.row, index.sentences.row)


def test_loading_refuses_another_corpus_or_model(mini_corpus, tmp_path, fake_embedder):
    records = read_records(mini_corpus)
    build_index(records, fake_embedder, "mini", root=tmp_path)
    changed = [*records, Abstract("T99", "A new talk", kind="talk")]
    with pytest.raises(
        IndexMismatchError, match="different version of the corpus.*abstract-search build --corpus mini"
    ):
        load_index(changed, "mini", fake_embedder.model_id, tmp_path)
    with pytest.raises(IndexMismatchError, match="built with model 'fake:hashed-bow-64'.*--model fake:hashed-bow-64"):
        load_index(records, "mini", "bundled:all-MiniLM-L6-v2", tmp_path)
    with pytest.raises(IndexMismatchError, match="ABSTRACT_SEARCH_BACKEND=onnx to use it"):  # same model, int8 asked
        load_index(records, "mini", "fake:hashed-bow-64" + INT8_SUFFIX, tmp_path)
    with pytest.raises(IndexMismatchError, match="no index for corpus 'other'"):
        load_index(records, "other", fake_embedder.model_id, tmp_path)


def test_an_index_from_a_retired_8bit_model_is_refused_with_the_rebuild_command(
    mini_corpus, tmp_path, fake_embedder, monkeypatch
):
    records = read_records(mini_corpus)
    monkeypatch.setattr(fake_embedder, "model_id", "fake:hashed-bow-64#int8")
    build_index(records, fake_embedder, "mini", root=tmp_path)
    with pytest.raises(IndexMismatchError, match="build --corpus mini.*earlier 8-bit model"):
        load_index(records, "mini", "fake:hashed-bow-64" + INT8_SUFFIX, tmp_path)


def test_a_failed_build_leaves_the_previous_index_intact(mini_corpus, tmp_path, fake_embedder):
    records = read_records(mini_corpus)
    build_index(records, fake_embedder, "mini", root=tmp_path)
    before = read_manifest("mini", tmp_path)
    changed = [*records, Abstract("T99", "A new talk about silica", kind="talk", abstract="Silica melts.")]
    crashing = CountingEmbedder(fake_embedder, fail_after=0)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(changed, crashing, "mini", root=tmp_path, use_cache=False)
    assert read_manifest("mini", tmp_path) == before
    load_index(records, "mini", fake_embedder.model_id, tmp_path)  # still serves the old corpus
    assert not [p for p in tmp_path.iterdir() if "building" in p.name or ".old-" in p.name]


def test_rebuild_embeds_only_new_or_changed_texts(tmp_path, fake_embedder):
    texts = ["boroxol rings", "silica glass", "sodium diffusion"]
    counting = CountingEmbedder(fake_embedder)
    first = embed_with_cache(texts, counting, tmp_path)
    assert counting.seen == texts
    again = embed_with_cache([texts[1], "a new text", texts[0]], counting, tmp_path)
    assert counting.seen == [*texts, "a new text"]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    assert {p.name for p in next(tmp_path.iterdir()).iterdir()} >= {"vectors.npy", "keys.json"}


def test_hnsw_agrees_with_exact_search():
    rng = np.random.default_rng(0)
    vectors = normalize_rows(rng.normal(size=(2000, 32)))
    queries = normalize_rows(rng.normal(size=(50, 32)))
    _, exact = faiss_search(make_faiss_index(vectors, kind="flat"), queries, 10)
    _, approx = faiss_search(make_faiss_index(vectors, kind="hnsw"), queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert recall >= 0.9
    with pytest.raises(ValueError, match="valid: flat, hnsw"):
        make_faiss_index(vectors, kind="ivf-magic")


def test_engine_builds_on_first_use_and_follows_the_build_policy(mini_corpus, tmp_path, fake_embedder):
    root = tmp_path / "idx"
    with pytest.raises(IndexMismatchError, match="no index"):
        Engine.open(mini_corpus, embedder=fake_embedder, root=root, build="never", progress=False)
    Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    assert read_manifest("mini", root) is not None
    rows = [json.loads(line) for line in mini_corpus.read_text().splitlines()]
    rows[0]["title"] = "A changed title"
    mini_corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(IndexMismatchError, match="abstract-search build --corpus mini"):
        Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    engine = Engine.open(mini_corpus, embedder=fake_embedder, root=root, build="stale", progress=False)
    assert engine.records[0].title == "A changed title"


def test_documents_and_their_sentences_are_embedded_apart_without_a_window(tmp_path, fake_embedder):
    from abstract_search.embed.cache import embed_documents

    texts = ["Boroxol rings. In B2O3 glass.", "A title only"]
    spans = [[(0, 14), (15, 29)], []]
    documents, sentences = embed_documents(texts, fake_embedder, tmp_path, sentence_spans=spans)
    assert np.allclose(documents, fake_embedder.encode(texts), atol=1e-6)
    assert np.allclose(sentences, fake_embedder.encode(["Boroxol rings.", "In B2O3 glass."]), atol=1e-6)
    assert embed_documents(texts, fake_embedder, tmp_path)[1] is None
