"""Topics over time: how much of each year's (or day's) output each topic holds.

`topic_shares_over_time(records, topics)` counts the records of every topic per period
(the year, or the day when the corpus covers a single year) and divides by the period's
total, so a small year and a big year compare. Records without a usable date are left
out and counted; a corpus with no dates at all is a CorpusError that says how to add them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.records import Abstract, CorpusError
from abstract_search.topics.corpus import TopicResult
from abstract_search.topics.model import OUTLIER

__all__ = ["PERIODS", "TopicShares", "shares_table_rows", "topic_shares_over_time"]

PERIODS = ("auto", "year", "date")
OUTLIER_LABEL = "outlier"
_YEAR_ONLY = re.compile(r"\d{4}")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ROW_KEYS = ("period", "n")  # the table's own columns, which a topic label must not hide


@dataclass(frozen=True, eq=False)
class TopicShares:
    """Records per topic and period, and each topic's share of its period.

    Columns are the topics in the TopicResult's order, then "outlier" (topic id -1) when any
    dated record is an outlier. Labels are unique: a repeated label gets its topic id appended.
    """

    period: str  # what a period is: "year" or "date"
    periods: tuple[str, ...]  # "2018" or "2018-05-03", oldest first
    topic_ids: tuple[int, ...]
    labels: tuple[str, ...]
    counts: np.ndarray  # (n_periods, n_topics) int64: records of each topic in each period
    shares: np.ndarray  # (n_periods, n_topics) float: counts over the period's total; rows sum to 1
    undated: int  # records left out because they have no usable date for this period

    @property
    def totals(self) -> np.ndarray:
        """Records per period (every period holds at least one)."""
        return self.counts.sum(axis=1)


def _usable_date(date: str) -> str:
    """The record's date when it reads as YYYY or YYYY-MM-DD, else ''."""
    date = date.strip()
    return date if _YEAR_ONLY.fullmatch(date) or _FULL_DATE.fullmatch(date) else ""


def _choose_period(dates: Sequence[str], period: str) -> str:
    if period not in PERIODS:
        raise CorpusError(f"period {period!r} is not one of {', '.join(PERIODS)}")
    if period != "auto":
        return period
    one_year = len({d[:4] for d in dates}) == 1
    return "date" if one_year and any(_FULL_DATE.fullmatch(d) for d in dates) else "year"


def _unique_labels(topic_ids: Sequence[int], labels: Sequence[str]) -> tuple[str, ...]:
    """Labels as column names: a label that repeats (or is 'period' or 'n') gets its topic id."""
    seen = [*_ROW_KEYS, *labels]
    return tuple(
        f"{label} [{topic}]" if seen.count(label) > 1 else label for topic, label in zip(topic_ids, labels, strict=True)
    )


def topic_shares_over_time(records: Sequence[Abstract], topics: TopicResult, period: str = "auto") -> TopicShares:
    """The share of each topic per year or per day.

    Args:
        records: the corpus the topics were computed for (in any order).
        topics: its TopicResult; a record's topic is its entry in `assignments`.
        period: "year" (first four digits of `date`), "date" (the whole day; a year-only
            date is then unusable) or "auto": the year when the dated records span two or
            more years, else the day.

    Raises:
        CorpusError: no record has a date, or none has one usable for `period`, or a
            record is missing from `topics` (they were computed for another corpus).
    """
    topic_of = dict(zip(topics.record_ids, topics.assignments, strict=True))
    missing = [r.id for r in records if r.id not in topic_of]
    if missing:
        raise CorpusError(
            f"{len(missing)} records have no topic (e.g. {', '.join(missing[:3])}): the topics were computed "
            "for another version of the corpus; compute them again"
        )
    dates = [_usable_date(r.date) for r in records]
    if not any(dates):
        raise CorpusError(
            f"none of the {len(records)} records has a date or year, so there is nothing to show over time; "
            "give them on import with a `date` or `year` column (or --col date=COLUMN)"
        )
    chosen = _choose_period([d for d in dates if d], period)
    if chosen == "year":
        keys = [d[:4] for d in dates]
    else:
        keys = [d if _FULL_DATE.fullmatch(d) else "" for d in dates]
        if not any(keys):
            raise CorpusError("the records' dates are years only, with no day; show topics per year instead")
    dated = [(key, topic_of[r.id]) for key, r in zip(keys, records, strict=True) if key]
    topic_ids = [t.id for t in topics.topics]
    labels = [t.label for t in topics.topics]
    if any(topic == OUTLIER for _, topic in dated):
        topic_ids.append(OUTLIER)
        labels.append(OUTLIER_LABEL)
    periods = sorted({key for key, _ in dated})
    row = {p: i for i, p in enumerate(periods)}
    column = {t: j for j, t in enumerate(topic_ids)}
    counts = np.zeros((len(periods), len(topic_ids)), dtype=np.int64)
    np.add.at(counts, ([row[k] for k, _ in dated], [column[t] for _, t in dated]), 1)
    return TopicShares(
        period=chosen,
        periods=tuple(periods),
        topic_ids=tuple(topic_ids),
        labels=_unique_labels(topic_ids, labels),
        counts=counts,
        shares=counts / counts.sum(axis=1, keepdims=True),
        undated=len(records) - len(dated),
    )


def shares_table_rows(shares: TopicShares, digits: int = 4) -> list[dict]:
    """One row per period: its name, its number of records, then each topic's share (JSON, st.dataframe)."""
    return [
        {
            "period": period,
            "n": int(total),
            **{label: round(float(s), digits) for label, s in zip(shares.labels, row, strict=True)},
        }
        for period, total, row in zip(shares.periods, shares.totals, shares.shares, strict=True)
    ]
