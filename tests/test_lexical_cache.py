"""BM25 from cached token bags: the same index as bm25s builds from token lists, and the cache."""

from __future__ import annotations

import filecmp
import math
from collections import Counter

import numpy as np
import pytest

from abstract_search.records import Abstract
from abstract_search.search.lexical import FIELDS, LexicalConfig, LexicalIndex, build_lexical_index, tokenize
from abstract_search.search.lexical_cache import token_bags

WORDS = "glass silica boroxol ring B2O3 Li⁺ 75Li2S-25P2S5 Q(n) cooling cooled rate melt network sodium oxide".split()


def _corpus(size: int = 300, seed: int = 0) -> list[Abstract]:
    """Random abstracts of very different lengths, some without an abstract or without speakers."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(WORDS) + 1)
    records = []
    for i in range(size):
        words = rng.choice(WORDS, size=int(rng.integers(0, 60)), p=weights / weights.sum())
        extra = [f"w{int(x)}" for x in rng.zipf(1.5, size=int(rng.integers(0, 20))) if x < 5000]
        speakers = () if i % 7 == 0 else (f"Person {chr(65 + i % 26)}{i % 5}",)
        records.append(
            Abstract(
                f"R{i}", f"Title {i % 11} {' '.join(words[:3])}", abstract=" ".join([*words, *extra]), speakers=speakers
            )
        )
    return records


def _reference_fit(records, config: LexicalConfig) -> LexicalIndex:
    """What `LexicalIndex.fit` did before token bags: bm25s.BM25.index over the token lists."""
    import bm25s

    index = LexicalIndex(config)
    index.size_ = len(records)
    texts = [tokenize(r.text) for r in records]
    frequency = Counter(token for doc in texts for token in set(doc))
    index.idf_ = {t: math.log(1 + (len(records) - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
    for name, weight in config.field_weights:
        if weight == 0:
            continue
        docs = texts if name == "text" else [tokenize(FIELDS[name](r)) for r in records]
        if not any(docs):
            continue
        bm25 = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        bm25.index([doc or [""] for doc in docs], show_progress=False)
        index.fields_[name] = (weight, bm25)
    return index


@pytest.mark.parametrize("method", ["lucene", "robertson", "atire", "bm25+"])
def test_bags_give_exactly_the_index_bm25s_builds_from_token_lists(method):
    records = _corpus()
    config = LexicalConfig(method=method, field_weights=(("text", 1.0), ("title", 0.5), ("speakers", 1.0)))
    ours, reference = build_lexical_index(records, config), _reference_fit(records, config)
    assert ours.idf_ == reference.idf_
    assert list(ours.fields_) == list(reference.fields_) == ["text", "title", "speakers"]
    for name, (_, bm25) in reference.fields_.items():
        mine = ours.fields_[name][1]
        assert set(mine.vocab_dict) == set(bm25.vocab_dict)
        assert mine.scores["data"].dtype == bm25.scores["data"].dtype
        for token in bm25.vocab_dict:
            if token:  # "" is never queried (and has no column when no document is empty)
                assert np.array_equal(mine.get_scores([token]), bm25.get_scores([token])), (name, token)
    for query in ["boroxol rings in B2O3", "cooling rate of sodium silica melts", "Person B3 w2 w17", "nothing"]:
        assert np.array_equal(ours.scores(query), reference.scores(query)), query


def test_only_texts_never_seen_are_tokenized(tmp_path):
    texts = ["Boroxol rings in B2O3.", "Silica under pressure.", "", "Boroxol rings in B2O3."]
    seen = []

    def counting(text):
        seen.append(text)
        return tokenize(text)

    first = token_bags(texts, counting, tmp_path, "t")
    assert sorted(seen) == sorted(set(texts))
    seen.clear()
    again = token_bags([texts[1], "Sodium diffusion.", texts[0]], counting, tmp_path, "t")
    assert seen == ["Sodium diffusion."]
    for bags, row, text in [
        (first, 0, texts[0]),
        (first, 2, ""),
        (again, 1, "Sodium diffusion."),
        (again, 2, texts[0]),
    ]:
        a, b = bags.offsets[row], bags.offsets[row + 1]
        tokens = [bags.vocab[t] for t in bags.terms[a:b]]
        assert dict(zip(tokens, bags.counts[a:b].tolist(), strict=True)) == Counter(tokenize(text))
    token_bags(texts, counting, tmp_path, "another-tokenizer")  # another tokenizer id: its own cache
    assert len(seen) == 1 + len(set(texts))


def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path):
    texts = ["Boroxol rings in B2O3.", "Silica glass."]
    expected = token_bags(texts, tokenize)
    token_bags(texts, tokenize, tmp_path, "t")
    folder = tmp_path / "bm25-tokens-t"
    assert {p.name for p in folder.iterdir()} == {".lock", "bags.npy", "meta.json"}
    for name in ("bags.npy", "meta.json"):
        intact = (folder / name).read_bytes()
        (folder / name).write_bytes(intact[: len(intact) // 2])
        bags = token_bags(texts, tokenize, tmp_path, "t")
        assert bags.vocab == expected.vocab and np.array_equal(bags.terms, expected.terms)
        assert np.array_equal(bags.counts, expected.counts) and np.array_equal(bags.offsets, expected.offsets)
        assert token_bags(texts, lambda text: pytest.fail("tokenized again"), tmp_path, "t").vocab == expected.vocab


def test_a_save_killed_between_its_two_renames_leaves_a_usable_cache(tmp_path):
    token_bags(["Boroxol rings in B2O3."], tokenize, tmp_path, "t")
    folder = tmp_path / "bm25-tokens-t"
    old_meta = (folder / "meta.json").read_bytes()
    token_bags(["Silica glass under pressure."], tokenize, tmp_path, "t")
    (folder / "meta.json").write_bytes(old_meta)  # bags.npy is the new one, meta.json the old one
    bags = token_bags(["Boroxol rings in B2O3."], lambda text: pytest.fail("tokenized again"), tmp_path, "t")
    assert [bags.vocab[t] for t in bags.terms] == tokenize("Boroxol rings in B2O3.")


def test_a_refit_after_an_edit_saves_the_same_files_as_a_fresh_fit(tmp_path):
    records = _corpus(120, seed=1)
    cache = tmp_path / "cache"
    build_lexical_index(records, cache_dir=cache)
    edited = list(records)
    edited[40] = Abstract("R40", "Boroxol rings", abstract="Vitreous B2O3 and its boroxol rings.", speakers=("Ann",))
    del edited[7]
    refit = build_lexical_index(edited, cache_dir=cache)
    fresh = build_lexical_index(edited)
    refit.save(tmp_path / "refit")
    fresh.save(tmp_path / "fresh")
    files = sorted(p.relative_to(tmp_path / "fresh").as_posix() for p in (tmp_path / "fresh").rglob("*") if p.is_file())
    assert len(files) == 1 + 5 * len(fresh.fields_)  # lexical.json, and per field 3 arrays, vocab, params
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "fresh", tmp_path / "refit", files, shallow=False)
    assert not mismatch and not errors
    assert np.argmax(refit.scores("boroxol Ann")) == 39
