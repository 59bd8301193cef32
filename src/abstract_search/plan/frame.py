"""The frame of a program (session sizes, slots, tracks, times) and the hard constraints of a plan.

Also what the constraints read from a record: its speakers (who clashes with whom) and its value
of a `within` field. `plan.allowed` turns a frame and constraints into the search's arrays.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.records import Abstract, UserError


class PlanError(UserError):
    """The frame and constraints cannot all hold (or a plan cannot be exported); says why."""


@dataclass(frozen=True)
class Place:
    """Where a session sits: its time slot (parallel sessions share one), track and times."""

    slot: int
    track: int = 0
    date: str = ""  # YYYY-MM-DD
    start: str = ""  # HH:MM
    end: str = ""
    name: str = ""  # e.g. the organizers' label of the block


@dataclass(frozen=True)
class Frame:
    """The sessions to fill: exact sizes, or a count with size bounds; one Place per session."""

    places: tuple[Place, ...]
    sizes: tuple[int, ...] = ()  # exact sizes; empty means "n sessions within [min_size, max_size]"
    min_size: int = 1
    max_size: int = 0  # 0: no upper bound

    @classmethod
    def fixed(cls, sizes: Sequence[int], parallel: int = 1) -> Frame:
        """Sessions of exactly these sizes; every `parallel` consecutive sessions run at once."""
        return cls(_places(len(sizes), parallel), tuple(int(s) for s in sizes))

    @classmethod
    def flexible(cls, n_sessions: int, min_size: int = 1, max_size: int = 0, parallel: int = 1) -> Frame:
        return cls(_places(n_sessions, parallel), (), int(min_size), int(max_size))

    @property
    def n_sessions(self) -> int:
        return len(self.places)


def _places(n_sessions: int, parallel: int) -> tuple[Place, ...]:
    if n_sessions < 1:
        raise PlanError(f"a frame needs at least one session, got {n_sessions}")
    if parallel < 1:
        raise PlanError(f"--parallel must be at least 1, got {parallel}")
    return tuple(Place(slot=k // parallel, track=k % parallel) for k in range(n_sessions))


@dataclass(frozen=True)
class Constraints:
    """Hard rules a plan always honours.

    pins: (item id, session index) pairs. unavailable: (speaker, slot indices) pairs.
    within: a record field (e.g. "kind", "date", "tags"); every session holds one value of it.
    separate_speakers: a speaker's talks never sit in two sessions of the same slot.
    """

    pins: tuple[tuple[str, int], ...] = ()
    unavailable: tuple[tuple[str, tuple[int, ...]], ...] = ()
    within: str = ""
    separate_speakers: bool = True


def speaker_key(name: str) -> str:
    """A speaker's name as the clash and unavailability rules compare it: case and spacing folded."""
    return " ".join(name.casefold().split())


def speaker_mates(records: Sequence[Abstract]) -> tuple[np.ndarray, np.ndarray]:
    """CSR lists of the other items that share a speaker with each item."""
    by_speaker = defaultdict(set)
    for i, record in enumerate(records):
        for speaker in record.speakers:
            by_speaker[speaker_key(speaker)].add(i)
    mates = [sorted({j for s in r.speakers for j in by_speaker[speaker_key(s)]} - {i}) for i, r in enumerate(records)]
    pointer = np.zeros(len(records) + 1, dtype=np.int64)
    pointer[1:] = np.cumsum([len(m) for m in mates])
    flat = np.array([j for m in mates for j in m], dtype=np.int64)
    return pointer, flat


_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(Abstract) if f.name != "extra")


def group_value(record: Abstract, field: str, option: str = "--within") -> str:
    """The value of a record field, or of an extra column, used by `within` (a tuple field counts as a whole)."""
    if field not in _RECORD_FIELDS:
        return record.extra_value(group_field(field, [record], option))
    value = getattr(record, field)
    return "|".join(value) if isinstance(value, tuple) else str(value if value is not None else "")


def group_field(field: str, records: Sequence[Abstract], option: str = "--within") -> str:
    """`field` checked against the record fields and the extra columns of `records` (any case for those)."""
    if field in _RECORD_FIELDS:
        return field
    columns = sorted({key for r in records for key, _ in r.extra})
    by_case = {c.casefold(): c for c in columns}
    if field.casefold() in by_case:
        return by_case[field.casefold()]
    raise PlanError(
        f"{option} {field!r} is not a record field; valid: {', '.join(_RECORD_FIELDS)}; "
        f"extra columns: {', '.join(columns) or '(none in this corpus)'}"
    )


def group_values(records: Sequence[Abstract], field: str, option: str = "--within") -> list[str]:
    """Each record's value of `field` (a record field or an extra column), checked once for all."""
    field = group_field(field, records, option)
    if field in _RECORD_FIELDS:
        return [group_value(r, field, option) for r in records]
    return [r.extra_value(field) for r in records]
