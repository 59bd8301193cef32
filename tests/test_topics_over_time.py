"""Topics over time: shares per year or day, counted by hand; a year column on import; year-only dates downstream."""

from __future__ import annotations

import gzip
import itertools
import json
from collections import Counter

import numpy as np
import pytest

from abstract_search.embed.backends import normalize_rows
from abstract_search.ingest import ingest_file
from abstract_search.plan.frame import PlanError
from abstract_search.plan.planner import describe_plan
from abstract_search.plan.schedule import export_plan, load_program
from abstract_search.records import Abstract, CorpusError
from abstract_search.topics.corpus import Topic, TopicResult
from abstract_search.topics.over_time import shares_table_rows, topic_shares_over_time
from abstract_search.topics.plots import topic_shares_figure
from tests.conftest import ROOT, write_file

ML_ABSTRACTS = ROOT.parent / "shared" / "eval" / "ml_conf_abstracts" / "abstracts.jsonl.gz"


def fake_topics(records, topic_of: dict[str, int], labels: dict[int, str]) -> TopicResult:
    """A TopicResult with the given assignments (-1: outlier) and nothing computed."""
    ids = tuple(r.id for r in records)
    assignments = tuple(topic_of[i] for i in ids)
    topics = tuple(
        Topic(
            id=t,
            label=label,
            keywords=(),
            size=assignments.count(t),
            members=tuple(i for i, a in zip(ids, assignments, strict=True) if a == t),
            representative_ids=(),
            parent=0,
        )
        for t, label in labels.items()
    )
    return TopicResult(
        topics=topics,
        groups=(),
        outliers=(),
        record_ids=ids,
        assignments=assignments,
        confidence=(1.0,) * len(ids),
        centres=np.zeros((len(topics), 2), dtype=np.float32),
        floors=np.zeros(len(topics), dtype=np.float32),
        chosen_by="by hand",
        random_state=0,
    )


# id, date, topic: two records have no usable date
DATED = [
    ("a1", "2019-05-01", 0),
    ("a2", "2019-06-01", 0),
    ("a3", "2019", 1),
    ("a4", "2020-01-02", 1),
    ("a5", "2020", -1),
    ("a6", "2021", 0),
    ("a7", "2021-03-04", 1),
    ("a8", "2021", 1),
    ("a9", "2021", 1),
    ("u1", "", 0),
    ("u2", "soon", 1),
]
LABELS = {0: "glass", 1: "fracture"}


def corpus(rows=DATED, labels=LABELS):
    records = [Abstract(id=i, title=f"title {i}", date=d) for i, d, _ in rows]
    return records, fake_topics(records, {i: t for i, _, t in rows}, labels)


def test_shares_per_year_are_the_hand_counted_fractions_and_sum_to_one():
    records, topics = corpus()
    shares = topic_shares_over_time(records, topics)
    assert shares.period == "year" and shares.periods == ("2019", "2020", "2021")
    assert shares.topic_ids == (0, 1, -1) and shares.labels == ("glass", "fracture", "outlier")
    assert shares.counts.tolist() == [[2, 1, 0], [0, 1, 1], [1, 3, 0]]
    expected = [[2 / 3, 1 / 3, 0], [0, 1 / 2, 1 / 2], [1 / 4, 3 / 4, 0]]
    np.testing.assert_allclose(shares.shares, expected)
    np.testing.assert_allclose(shares.shares.sum(axis=1), 1.0)
    assert shares.undated == 2 and shares.totals.tolist() == [3, 2, 4]


def test_table_rows_hold_period_n_and_each_topics_share():
    records, topics = corpus()
    rows = shares_table_rows(topic_shares_over_time(records, topics))
    assert rows[0] == {"period": "2019", "n": 3, "glass": 0.6667, "fracture": 0.3333, "outlier": 0.0}
    assert rows[2] == {"period": "2021", "n": 4, "glass": 0.25, "fracture": 0.75, "outlier": 0.0}
    assert json.loads(json.dumps(rows)) == rows


def test_no_outlier_column_without_outliers_and_repeated_labels_made_unique():
    rows = [("a", "2019", 0), ("b", "2020", 1), ("c", "2020", 2)]
    shares = topic_shares_over_time(*corpus(rows, {0: "glass", 1: "glass", 2: "n"}))
    assert shares.topic_ids == (0, 1, 2)
    assert shares.labels == ("glass [0]", "glass [1]", "n [2]")  # 'n' would hide the table's count


def test_auto_picks_the_day_within_one_year_and_the_year_across_years():
    rows = [("a", "2020-03-01", 0), ("b", "2020-03-01", 1), ("c", "2020-03-02", 1), ("d", "2020", 0), ("e", "", 0)]
    records, topics = corpus(rows)
    by_day = topic_shares_over_time(records, topics)
    assert by_day.period == "date" and by_day.periods == ("2020-03-01", "2020-03-02")
    assert by_day.counts.tolist() == [[1, 1], [0, 1]] and by_day.undated == 2  # "2020" names no day
    by_year = topic_shares_over_time(records, topics, period="year")
    assert by_year.periods == ("2020",) and by_year.counts.tolist() == [[2, 2]] and by_year.undated == 1
    records, topics = corpus([("a", "2020-12-31", 0), ("b", "2021-01-01", 1)])
    assert topic_shares_over_time(records, topics).periods == ("2020", "2021")
    records, topics = corpus([("a", "2020", 0), ("b", "2020", 1)])  # one year, no days: the year
    assert topic_shares_over_time(records, topics).periods == ("2020",)


def test_a_corpus_without_dates_is_refused_with_how_to_give_them():
    records, topics = corpus([("a", "", 0), ("b", "", 1), ("c", "TBD", 1)])
    with pytest.raises(CorpusError) as raised:
        topic_shares_over_time(records, topics)
    assert str(raised.value) == (
        "none of the 3 records has a date or year, so there is nothing to show over time; "
        "give them on import with a `date` or `year` column (or --col date=COLUMN)"
    )
    records, topics = corpus([("a", "2019", 0), ("b", "2020", 1)])
    with pytest.raises(CorpusError, match="years only, with no day; show topics per year"):
        topic_shares_over_time(records, topics, period="date")
    with pytest.raises(CorpusError, match="period 'month' is not one of auto, year, date"):
        topic_shares_over_time(records, topics, period="month")
    with pytest.raises(CorpusError, match="1 records have no topic .e.g. new.: the topics were computed"):
        topic_shares_over_time([*records, Abstract(id="new", title="x", date="2020")], topics)


def test_figure_has_one_trace_per_topic_bars_for_few_periods_areas_for_more():
    records, topics = corpus()
    bars = topic_shares_figure(topic_shares_over_time(records, topics))
    assert [t.name for t in bars.data] == ["glass", "fracture", "outlier"]
    assert {t.type for t in bars.data} == {"bar"} and bars.layout.barmode == "stack"
    assert list(bars.data[1].y) == pytest.approx([1 / 3, 1 / 2, 3 / 4])
    assert [list(c) for c in bars.data[1].customdata] == [[1, 3], [1, 2], [3, 4]]  # count, period total
    assert "%{y:.1%}" in bars.data[1].hovertemplate and "customdata[0]" in bars.data[1].hovertemplate
    records, topics = corpus([*DATED, ("a10", "2022", 0)])
    areas = topic_shares_figure(topic_shares_over_time(records, topics), title="ML")
    assert [t.name for t in areas.data] == ["glass", "fracture", "outlier"]
    assert {(t.type, t.stackgroup) for t in areas.data} == {("scatter", "shares")}
    assert list(areas.data[0].x) == ["2019", "2020", "2021", "2022"] and areas.layout.title.text == "ML"


# --- a year column on import, and year-only dates downstream ---------------------------------


def test_a_year_column_is_read_as_a_year_only_date(tmp_path):
    result = ingest_file(write_file(tmp_path, "papers.csv", "title,Year\nA,2018\nB,2019\nC,\n"))
    assert [r.date for r in result.records] == ["2018", "2019", ""]
    assert "  date         <- 'Year'  (guessed)" in result.report_text()
    path = write_file(tmp_path, "papers.jsonl", '{"title": "A", "year": 2018}\n{"title": "B", "year": 2020.0}\n')
    assert [r.date for r in ingest_file(path).records] == ["2018", "2020"]
    text = "title,date,year\nA,2018,1999\nB,2019-05-03,1999\n"  # a date column wins; a bare year in it is a year
    result = ingest_file(write_file(tmp_path, "both.csv", text))
    assert [r.date for r in result.records] == ["2018", "2019-05-03"]
    assert result.records[0].extra == (("year", "1999"),)


def test_year_only_dates_plan_and_export_except_to_a_calendar(tmp_path):
    records = [
        Abstract(id=f"T{i}", title=f"talk {i}", session=s, date="2018", start="09:00", end="10:00")
        for i, s in enumerate(["S1", "S1", "S2", "S2"])
    ]
    program = load_program(records)
    assert [p.date for p in program.frame.places] == ["2018", "2018"]
    embeddings = normalize_rows(np.random.default_rng(0).normal(size=(4, 8)))
    plan = describe_plan(records, embeddings, list(program.labels), program.frame)
    for suffix in (".csv", ".json", ".md"):
        assert export_plan(plan, records, tmp_path / f"plan{suffix}").stat().st_size > 0
    with pytest.raises(PlanError, match=r"have no date/start/end \(a day as YYYY-MM-DD, not a year alone\)"):
        export_plan(plan, records, tmp_path / "plan.ics")


# --- the real ML-conference abstracts ----------------------------------------------------------

KEYWORD_TOPICS = {0: "reinforcement", 1: "graph", 2: "adversarial"}  # the first word in a title wins; else outlier


def keyword_topic(title: str) -> int:
    lowered = title.lower()
    return next((t for t, word in KEYWORD_TOPICS.items() if word in lowered), -1)


@pytest.mark.skipif(not ML_ABSTRACTS.is_file(), reason=f"needs {ML_ABSTRACTS} (../shared/eval/ml_conf_abstracts)")
def test_ml_conference_shares_per_year_match_a_hand_count(tmp_path):
    with gzip.open(ML_ABSTRACTS, "rt", encoding="utf-8") as handle:
        lines = list(itertools.islice(handle, 3000))
    raw = [json.loads(line) for line in lines]
    records = ingest_file(write_file(tmp_path, "ml.jsonl", "".join(lines))).records
    assert [r.date for r in records] == [str(item["year"]) for item in raw]
    topics = fake_topics(records, {r.id: keyword_topic(r.title) for r in records}, KEYWORD_TOPICS)
    shares = topic_shares_over_time(records, topics)

    per_year = Counter(item["year"] for item in raw)
    per_year_topic = Counter((item["year"], keyword_topic(item["title"])) for item in raw)
    assert shares.period == "year" and shares.undated == 0
    assert shares.periods == tuple(str(y) for y in sorted(per_year))
    for row, year in enumerate(sorted(per_year)):
        for column, topic in enumerate(shares.topic_ids):
            assert shares.counts[row, column] == per_year_topic[(year, topic)]
            assert shares.shares[row, column] == pytest.approx(per_year_topic[(year, topic)] / per_year[year])
    figure = topic_shares_figure(shares)
    assert [t.name for t in figure.data] == ["reinforcement", "graph", "adversarial", "outlier"]
