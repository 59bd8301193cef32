"""Property-based tests: any query, filter or input file gives results or a specific user error.

Kept to a few seconds (fake embedder, small example counts); benchmarks/fuzz.py runs the long
version (10,000 queries, 1,000+ malformed files).
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abstract_search.ingest import ingest_file
from abstract_search.records import CorpusError
from abstract_search.search.fusion import FilterError, Filters, QueryError
from abstract_search.search.lexical import token_spans, tokenize

FAST = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
WORDS = ["boroxol", "rings", "B2O3", "Li⁺", "glass-ceramics", "Q(n)", "Urata", "AGC", "(", ")", "-", "β", "17O"]
query_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS) | st.text(min_size=1, max_size=8), max_size=12).map(" ".join),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from abstract_search.search.engine import Engine
    from tests.conftest import MINI_CORPUS, FakeEmbedder

    folder = tmp_path_factory.mktemp("fuzz")
    corpus = folder / "mini.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in MINI_CORPUS), encoding="utf-8")
    return Engine.open(corpus, embedder=FakeEmbedder(), root=folder / "index", progress=False)


def check_hits(engine, hits, top_k):
    ids = {record.id for record in engine.records}
    assert len(hits) <= top_k
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert len({hit.id for hit in hits}) == len(hits) and {hit.id for hit in hits} <= ids
    assert all(np.isfinite([hit.score, hit.scores.lexical, hit.scores.dense]).all() for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    for hit in hits:
        assert all(0 <= start < end <= len(hit.snippet) for start, end in hit.highlights)


@FAST
@given(query=query_text, top_k=st.integers(1, 12))
def test_any_query_gives_ranked_hits_or_says_it_is_empty(engine, query, top_k):
    try:
        hits = engine.search(query, top_k)
    except QueryError as err:
        assert not query.split() and "empty" in str(err)
        return
    check_hits(engine, hits, top_k)
    assert hits  # every non-empty query ranks the (unfiltered) corpus


FILTER_VALUES = st.one_of(
    st.none(), st.sampled_from(["talk", "poster", "2025-08-08", "MD", "Urata", "AGC"]), st.text(max_size=10)
)


@FAST
@given(
    query=st.sampled_from(["boroxol rings", "glass", "Li⁺ ions", "zzz"]),
    values=st.fixed_dictionaries(
        {name: FILTER_VALUES for name in ("kind", "date", "session", "tag", "speaker", "affiliation")}
    ),
)
def test_any_filter_restricts_the_hits_or_lists_valid_values(engine, query, values):
    filters = Filters(**values)
    try:
        hits = engine.search(query, 10, filters)
    except FilterError as err:
        assert "valid" in str(err) or "no record" in str(err) or "none of" in str(err), str(err)
        return
    check_hits(engine, hits, 10)
    by_id = {record.id: record for record in engine.records}
    for hit in hits:
        record = by_id[hit.id]
        if values["kind"] and values["kind"].strip():
            assert record.kind.casefold() == values["kind"].strip().casefold()


@FAST
@given(text=st.text(max_size=300))
def test_tokenizer_spans_stay_inside_the_text(text):
    for span in token_spans(text):
        assert 0 <= span.start < span.end <= len(text)
        assert span.tokens and all(isinstance(t, str) and t for t in span.tokens)
    assert tokenize(text) == [t for span in token_spans(text) for t in span.tokens]


CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@FAST
@given(rows=st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=8), suffix=st.sampled_from([".csv", ".tsv"]))
def test_table_rows_with_a_title_are_all_kept(tmp_path_factory, rows, suffix):
    path = tmp_path_factory.mktemp("tables") / f"talks{suffix}"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t" if suffix == ".tsv" else ",")
    writer.writerow(["title", "abstract", "speakers"])
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    valid = [" ".join(title.split()) for title, _, _ in rows if title.strip()]
    try:
        strict = ingest_file(path)
    except CorpusError as err:
        assert str(path) in str(err), str(err)  # strict: any bad row fails the whole file, by name
    else:
        assert strict.skipped == [] and [r.title for r in strict.records] == valid
    try:
        result = ingest_file(path, skip_bad_rows=True)
    except CorpusError as err:
        assert not valid or "\x00" in buffer.getvalue(), str(err)
        return
    kept = [record.title for record in result.records]
    # A row is skipped only with a reason (blank rows are not rows).
    assert kept == valid[: len(kept)] and len(kept) + len(result.skipped) >= len(valid)
    assert len(kept) == len(valid) or result.skipped


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
JSON_ROW = st.dictionaries(
    st.sampled_from(["id", "title", "abstract", "speakers", "kind", "date", "tags", "session", "x"]), JSON_VALUE
)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(JSON_ROW | JSON_VALUE, min_size=1, max_size=6), junk=st.lists(st.text(max_size=30), max_size=2))
def test_jsonl_files_give_records_or_a_specific_error(tmp_path_factory, rows, junk):
    path = tmp_path_factory.mktemp("jsonl") / "talks.jsonl"
    path.write_text("\n".join([json.dumps(row) for row in rows] + junk), encoding="utf-8")
    try:
        result = ingest_file(path)
    except CorpusError as err:
        assert str(path) in str(err) or "kind" in str(err), str(err)
        return
    assert result.records
    assert all(isinstance(r.title, str) and r.title.strip() for r in result.records)


@FAST
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".txt", ".md", ""]))
def test_arbitrary_bytes_are_read_or_refused_by_name(tmp_path_factory, data, suffix, fake_embedder):
    path = tmp_path_factory.mktemp("bytes") / f"upload{suffix}"
    path.write_bytes(data)
    try:
        result = ingest_file(path, embedder=fake_embedder)
    except CorpusError as err:
        assert str(path) in str(err) or "book" in str(err).lower() or "program" in str(err).lower(), str(err)
        return
    # Read: then there is something, with distinct ids, and no title that the bytes do not hold.
    assert result.records
    assert len({r.id for r in result.records}) == len(result.records)
    if suffix in (".csv", ".tsv"):
        encoding = result.lines[0].removeprefix("table: ").split(",")[0].split(" (")[0]
        codec = {"UTF-8": "utf-8", "UTF-8 with BOM": "utf-8-sig"}.get(encoding, encoding)
        text = data.decode(codec, "replace") if encoding != "UTF-16" else data.decode("utf-16", "replace")
        assert all(word in text for r in result.records for word in r.title.split()), result.records


@FAST
@given(query=st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=5))
def test_undecodable_argv_bytes_lone_surrogates_are_searchable(engine, query):
    hits = engine.search(f"boroxol {query}", 3)  # `abstract-search search $'\xff'` arrives as '\udcff'
    assert hits[0].id == "T01"


def test_a_batch_file_that_is_not_utf8_is_a_clear_error(mini_corpus, tmp_path, capsys):
    from abstract_search.cli import main

    batch = tmp_path / "queries.txt"
    batch.write_bytes(b"boroxol rings\n\xff\xfe glass\n")
    assert main(["search", "--batch", str(batch), "--corpus", str(mini_corpus)]) == 2
    assert "queries.txt: not UTF-8 text (byte 0xff)" in capsys.readouterr().err


def test_a_book_with_a_huge_word_parses_in_linear_time(tmp_path, fake_embedder):
    """Found by benchmarks/fuzz.py: the e-mail pattern was quadratic in a word's length (minutes)."""
    import time

    from tests.conftest import BOOK

    text = BOOK.read_text(encoding="utf-8")[:20_000]
    at = text.index("Molecular dynamics")
    path = tmp_path / "book.txt"
    path.write_text(text[:at] + "A" * 100_000 + text[at:], encoding="utf-8")
    start = time.perf_counter()
    result = ingest_file(path, embedder=fake_embedder)
    assert time.perf_counter() - start < 10
    assert sum(r.kind == "talk" for r in result.records) == 27  # the program survives the huge word
