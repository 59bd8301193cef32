"""The EMNLP 2020 export end to end: its keywords and track become tags and facets, the track
is a search filter and a --within group, and the extra columns survive the corpus file.

Expected values come from the CSV itself, read here with the csv module, or are written by hand
from looking at the file; nothing is taken from the code under test.
"""

from __future__ import annotations

import csv
import json

import pytest

from abstract_search.cli import main
from abstract_search.records import read_records
from tests.conftest import ROOT

EMNLP = ROOT.parent / "shared" / "eval" / "emnlp2020" / "main_papers.csv"
pytestmark = pytest.mark.skipif(not EMNLP.is_file(), reason=f"{EMNLP} is not here (shared/ eval data)")


@pytest.fixture(scope="module")
def tracks() -> dict[str, str]:
    with EMNLP.open(encoding="utf-8", newline="") as handle:
        return {row["UID"]: row["track"] for row in csv.DictReader(handle)}


@pytest.fixture()
def corpus(tmp_path, capsys):
    out = tmp_path / "emnlp.jsonl"
    assert main(["ingest", str(EMNLP), "--out", str(out)]) == 0
    return out, capsys.readouterr().out


def test_keywords_and_track_become_tags_and_facets(corpus):
    out, report = corpus
    records = read_records(out)
    assert len(records) == 781
    first = next(r for r in records if r.id == "main.1004")
    assert first.title == "AnswerFact: Fact Checking in Product Question Answering"
    assert first.speakers == ("Wenxuan Zhang", "Yang Deng", "Jing Ma", "Wai Lam")
    assert first.tags == (
        "online shopping",
        "evidence-based tasks",
        "answer problem",
        "product-related platforms",
        "Question Answering",
    )
    assert dict(first.extra) == {  # the keywords are a list, in the tags only; the track is a facet too
        "track": "Question Answering",
        "paper_type": "Long",
        "pdf_url": "https://www.aclweb.org/anthology/2020.emnlp-main.188",
    }
    # A track name with commas is one tag, not three.
    syntax = [r for r in records if "Syntax: Tagging, Chunking, and Parsing" in r.tags]
    assert len(syntax) == 24
    assert "  tags         <- 'keywords' (split on '|') + 'track'  (guessed)" in report
    assert "'track', 'paper_type', 'pdf_url', 'presentation_id'" in report


def test_extra_columns_survive_the_round_trip(corpus, tmp_path):
    from abstract_search.ingest import ingest_file
    from abstract_search.records import write_records

    out, _ = corpus
    fresh = ingest_file(EMNLP).records
    assert read_records(out) == fresh
    again = write_records(read_records(out), tmp_path / "again.jsonl")
    assert again.read_bytes() == out.read_bytes()


def planned_sessions(argv, capsys) -> list[list[str]]:
    assert main(["plan", *argv, "--within", "track", "--json"]) == 0
    return [[item["id"] for item in s["items"]] for s in json.loads(capsys.readouterr().out)["sessions"]]


def test_plan_within_track_on_a_slice_of_the_export(fake_cli, tmp_path, tracks, capsys):
    with EMNLP.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[:121]  # the header and the first 120 papers
    part = tmp_path / "first120.csv"
    with part.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    out = tmp_path / "first120.jsonl"
    assert main(["ingest", str(part), "--out", str(out)]) == 0
    capsys.readouterr()
    sessions = planned_sessions(["--corpus", str(out), "--sessions", "25", "--min-size", "1"], capsys)
    assert sorted(i for s in sessions for i in s) == sorted(row[0] for row in rows[1:])
    assert [s for s in sessions if len({tracks[i] for i in s}) != 1] == []


@pytest.mark.slow
def test_plan_within_track_on_the_whole_export(fake_cli, corpus, tracks, capsys):
    out, _ = corpus
    sessions = planned_sessions(["--corpus", str(out), "--sessions", "40"], capsys)
    assert sum(len(s) for s in sessions) == 781
    assert [s for s in sessions if len({tracks[i] for i in s}) != 1] == []


def test_search_filters_by_track(fake_cli, corpus, tracks, capsys):
    out, _ = corpus
    argv = ["search", "dialogue generation", "--corpus", str(out), "--top-k", "20", "--json"]
    assert main([*argv, "--where", "track=Question Answering"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert len(hits) == 20 and {tracks[h["id"]] for h in hits} == {"Question Answering"}
    assert hits[0]["extra"]["track"] == "Question Answering"
    assert main([*argv, "--where", "track=Poetry"]) == 2
    assert "no record has track 'Poetry'; valid track values: Computational Social Science" in capsys.readouterr().err
