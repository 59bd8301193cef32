"""Late chunking: document and sentence vectors pooled from one pass over each whole text."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.embed.backends import export_onnx, late_chunk, normalize_rows
from abstract_search.embed.cache import embed_documents

TEXT = "Boroxol rings in B2O3. Their population is debated. Raman spectra show a sharp line at 808 cm-1."
SPANS = [(0, 22), (23, 51), (52, len(TEXT))]


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(export_onnx() / "tokenizer.json"))


def windows_of(tokenizer, texts, window):
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=window, stride=0)
    return [(row, w) for row, e in enumerate(tokenizer.encode_batch(texts)) for w in (e, *e.overflowing)]


def table_states(ids, mask, types):
    """A fake model: each token's state is a fixed random vector of its id (no context)."""
    return np.random.default_rng(0).normal(size=(40_000, 8))[ids]


def test_sentences_and_documents_are_token_means_across_windows(tokenizer):
    windows = windows_of(tokenizer, [TEXT, "A title"], window=10)  # TEXT spans several windows
    assert sum(row == 0 for row, _ in windows) > 2
    documents, sentences = late_chunk(windows, 2, [SPANS, []], table_states, 8, batch_size=3)
    states = np.random.default_rng(0).normal(size=(40_000, 8))
    tokenizer.no_truncation()
    ids = [i for row, w in windows if row == 0 for i in w.ids]  # every window's tokens, [CLS]/[SEP] too
    assert np.allclose(documents[0], normalize_rows(states[ids].mean(axis=0))[0], atol=1e-5)
    for sentence, (start, end) in zip(sentences, SPANS, strict=True):
        own = tokenizer.encode(TEXT[start:end], add_special_tokens=False).ids
        assert np.allclose(sentence, normalize_rows(states[own].mean(axis=0))[0], atol=1e-5)
    assert sentences.shape == (3, 8)


def test_a_short_text_gets_the_plain_model_vector(real_embedder):
    if not getattr(real_embedder, "window", 0):
        pytest.skip("the torch backend embeds sentences on their own")
    documents, sentences = real_embedder.encode_late([TEXT], [SPANS])
    assert float(documents[0] @ real_embedder.encode([TEXT])[0]) > 0.9999
    assert sentences.shape == (3, real_embedder.dimension)


@pytest.mark.slow
def test_each_late_sentence_vector_is_nearest_its_own_sentence(real_embedder, workshop_records):
    """Context blends into the sentence vectors, but each still points at its own sentence."""
    from abstract_search.search.index import _text_spans, sentence_spans

    if not getattr(real_embedder, "window", 0):
        pytest.skip("the torch backend embeds sentences on their own")
    from dataclasses import replace

    longest = sorted(workshop_records, key=lambda r: -len(r.abstract))[:4]
    joined = replace(longest[0], abstract=f"{longest[0].abstract} {longest[1].abstract}")  # over 512 tokens
    records = [joined, *longest[2:]]
    rows, starts, ends = sentence_spans(records)
    spans = _text_spans(records, rows, starts, ends)
    _, late = real_embedder.encode_late([r.text for r in records], spans)
    alone = real_embedder.encode([records[r].abstract[s:e] for r, s, e in zip(rows, starts, ends, strict=True)])
    similarity = late @ alone.T
    rank_of_own = (similarity > similarity[np.arange(len(late)), np.arange(len(late))][:, None]).sum(axis=1)
    # Measured: 31 of 45 first, 41 of 45 in the first five (chance: 1 and 5 of 45).
    assert len(late) > 40 and (rank_of_own == 0).mean() >= 0.6 and (rank_of_own < 5).mean() >= 0.85


class WindowedFake:
    """A late-chunking embedder over the fake token table, counting what it embeds."""

    model_id, dimension, window = "fake:late", 8, 512

    def __init__(self, tokenizer):
        self.tokenizer, self.embedded = tokenizer, []

    def encode_late(self, texts, spans, *, batch_size=32, show_progress=False):
        self.embedded += list(texts)
        return late_chunk(windows_of(self.tokenizer, list(texts), 512), len(texts), spans, table_states, 8)


def test_the_cache_keeps_documents_with_their_sentences(tokenizer, tmp_path):
    embedder = WindowedFake(tokenizer)
    first = embed_documents([TEXT, "A title"], embedder, tmp_path, sentence_spans=[SPANS, []])
    again = embed_documents([TEXT, "A title", "New text."], embedder, tmp_path, sentence_spans=[SPANS, [], [(0, 9)]])
    assert embedder.embedded == [TEXT, "A title", "New text."]
    assert np.array_equal(again[0][:2], first[0]) and np.array_equal(again[1][:3], first[1])
    documents, none = embed_documents([TEXT], embedder, tmp_path)  # documents alone: all cached
    assert none is None and np.array_equal(documents[0], first[0][0]) and len(embedder.embedded) == 3


def test_texts_are_pooled_the_same_in_slices(real_embedder, workshop_records, monkeypatch):
    import abstract_search.embed.backends as embed

    if not getattr(real_embedder, "window", 0):
        pytest.skip("the torch backend embeds sentences on their own")
    records = [r for r in workshop_records if r.abstract][:5]
    texts, spans = [r.text for r in records], [[(0, len(r.title))] for r in records]
    whole = real_embedder.encode_late(texts, spans)
    monkeypatch.setattr(embed, "LATE_SLICE", 2)
    sliced = real_embedder.encode_late(texts, spans)
    assert np.allclose(whole[0], sliced[0], atol=1e-5) and np.allclose(whole[1], sliced[1], atol=1e-5)
    assert sliced[1].shape == (5, real_embedder.dimension)
