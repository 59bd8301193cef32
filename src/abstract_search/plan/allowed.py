"""What may go where: a frame and its constraints as the arrays the search needs.

`build_allowed` / `iter_allowed` give session sizes, size bounds and an item-by-session `allowed`
matrix (pins, `within` groups, unavailability), and refuse an impossible frame with a message
that says what conflicts; `explain_unseatable` and `explain_clashes` say why a search failed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

import numpy as np

from abstract_search.plan.frame import Constraints, Frame, PlanError, group_values, speaker_key, speaker_mates
from abstract_search.records import Abstract


def _split_evenly(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if k < total % parts else 0) for k in range(parts)]


def _group_mappings(sizes, counts: dict[str, int], preset: dict[int, str]) -> Iterator[list[str]]:
    """Every way (up to a search budget) to give each session a group so each group's sessions
    hold exactly its items; sessions in `preset` keep their group."""
    order = sorted(range(len(sizes)), key=lambda k: (k not in preset, -sizes[k], k))
    names = sorted(counts, key=lambda g: (-counts[g], g))
    left = dict(counts)
    chosen: dict[int, str] = {}
    budget = [200_000]

    def search(pos: int) -> Iterator[list[str]]:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if pos == len(order):
            if all(v == 0 for v in left.values()):
                yield [chosen[k] for k in range(len(sizes))]
            return
        k = order[pos]
        for g in [preset[k]] if k in preset else names:
            if left[g] >= sizes[k]:
                left[g] -= sizes[k]
                chosen[k] = g
                yield from search(pos + 1)
                left[g] += sizes[k]

    found = False
    for mapping in search(0):
        found = True
        yield mapping
    if not found:
        shown = ", ".join(f"{g or '(empty)'}: {c}" for g, c in sorted(counts.items()))
        raise PlanError(
            f"--within: the items per group ({shown}) cannot be split into sessions of sizes "
            f"{list(sizes)}" + (" with the pinned or dated sessions" if preset else "")
        )


def _flexible_sizes(n_items, frame: Frame, counts: dict[str, int] | None) -> tuple[list[int], list[str]]:
    n_sessions, low = frame.n_sessions, max(frame.min_size, 1)
    high = frame.max_size or n_items
    if low > high:
        raise PlanError(f"--min-size {low} is above --max-size {high}")
    if counts is None:
        if not n_sessions * low <= n_items <= n_sessions * high:
            raise PlanError(
                f"{n_items} items cannot fill {n_sessions} sessions of {low}-{high} items "
                f"(they hold {n_sessions * low}-{n_sessions * high})"
            )
        return _split_evenly(n_items, n_sessions), [""] * n_sessions
    # Sessions per group: each group g needs m_g sessions with m_g*low <= count <= m_g*high.
    names = sorted(counts)
    options = [[m for m in range(1, n_sessions + 1) if m * low <= counts[g] <= m * high] for g in names]
    reachable = {0: []}
    for g_options in options:
        reachable = {
            total + m: picks + [m] for total, picks in reachable.items() for m in g_options if total + m <= n_sessions
        }
    if n_sessions not in reachable:
        shown = ", ".join(f"{g or '(empty)'}: {counts[g]}" for g in names)
        raise PlanError(
            f"--within: the items per group ({shown}) cannot fill {n_sessions} sessions of "
            f"{low}-{high} items with every session inside one group"
        )
    sizes, groups = [], []
    for g, m in zip(names, reachable[n_sessions], strict=True):
        sizes += _split_evenly(counts[g], m)
        groups += [g] * m
    return sizes, groups


def build_allowed(
    records: Sequence[Abstract], frame: Frame, constraints: Constraints, labels: Sequence[int] | None = None
):
    """The first candidate of `iter_allowed`."""
    return next(iter_allowed(records, frame, constraints, labels))


def iter_allowed(
    records: Sequence[Abstract], frame: Frame, constraints: Constraints, labels: Sequence[int] | None = None
) -> Iterator[tuple[list[int], np.ndarray, int, int]]:
    """Candidate (sizes, allowed[item, session], low, high) for the search; PlanError if none holds.

    With `within`, each way to give sessions a group is a candidate (the search tries the next
    when one cannot seat everybody or separate every speaker). With `labels` (an existing
    grouping) the sizes and session groups are read from it instead. low/high bound session
    sizes during the search (both 0 when sizes are fixed).
    """
    n_items = len(records)
    values = group_values(records, constraints.within) if constraints.within else None
    counts = Counter(values) if values is not None else None
    pins = _pinned_sessions(records, constraints, frame.n_sessions)
    pinned_groups = _pinned_groups(pins, values, constraints) if counts is not None else {}
    if labels is not None:
        labels = np.asarray(labels)
        sizes, mappings = _sizes_from_labels(labels, values, counts, frame.n_sessions)
    elif frame.sizes:
        sizes, mappings = _fixed_sizes(n_items, frame, constraints, counts, pinned_groups)
    else:
        sizes, mappings = _flexible_groups(n_items, frame, counts, pinned_groups)
    low, high = (0, 0) if frame.sizes else (max(frame.min_size, 1), frame.max_size or n_items)
    for k, count in Counter(pins.values()).items():
        cap = sizes[k] if frame.sizes else high
        if count > cap and labels is None:
            raise PlanError(f"{count} items are pinned to session {k + 1}, which has {cap} seats")
    slots = np.array([p.slot for p in frame.places])
    _check_pinned_clashes(records, pins, slots)
    item_groups = np.array(values, dtype=object) if counts else None
    problem, yielded = "", False
    for groups in mappings:  # lazy: the `within` mappings are searched for as they are tried
        allowed = _allowed_matrix(records, constraints, slots, groups, item_groups)
        problem = _seat_pins(records, pins, allowed, constraints, check_pins=labels is None, grouped=bool(counts))
        if not problem:
            yielded = True
            yield sizes, allowed, low, high
    if not yielded:
        raise PlanError(problem)


def _pinned_sessions(records: Sequence[Abstract], constraints: Constraints, n_sessions: int) -> dict[int, int]:
    """The pins as item row -> session index, each checked to name a planned item and a session."""
    index = {r.id: i for i, r in enumerate(records)}
    pins: dict[int, int] = {}
    for item_id, session in constraints.pins:
        if item_id not in index:
            raise PlanError(f"pinned item {item_id!r} is not among the {len(records)} items being planned")
        if not 0 <= session < n_sessions:
            raise PlanError(f"{item_id} is pinned to session {session + 1}, but there are {n_sessions} sessions")
        pins[index[item_id]] = session
    return pins


def _pinned_groups(pins: dict[int, int], values: list[str], constraints: Constraints) -> dict[int, str]:
    """The `within` group each pinned session must take (its pins' group); refuses a session pinned to two."""
    pinned_groups: dict[int, str] = {}
    for i, k in pins.items():
        g = values[i]
        if pinned_groups.setdefault(k, g) != g:
            raise PlanError(
                f"session {k + 1} has pins from two {constraints.within} groups "
                f"({pinned_groups[k]!r}, {g!r}) but --within {constraints.within} keeps groups apart"
            )
    return pinned_groups


def _sizes_from_labels(labels: np.ndarray, values, counts, n_sessions: int) -> tuple[list[int], list[list[str]]]:
    """An existing grouping's session sizes, and its one mapping of sessions to groups."""
    sizes = np.bincount(labels, minlength=n_sessions).tolist()
    mapping = [
        values[int(np.flatnonzero(labels == k)[0])] if counts is not None and sizes[k] else ""
        for k in range(n_sessions)
    ]
    return sizes, [mapping]


def _fixed_sizes(n_items: int, frame: Frame, constraints: Constraints, counts, pinned_groups: dict[int, str]):
    """The frame's exact sizes (checked), and the ways to give its sessions a group (lazy)."""
    sizes = list(frame.sizes)
    if len(sizes) != frame.n_sessions or min(sizes) < 1:
        raise PlanError(f"session sizes must be positive, one per session; got {sizes}")
    if sum(sizes) != n_items:
        raise PlanError(f"the session sizes add up to {sum(sizes)} but there are {n_items} items to place")
    if counts is None:
        return sizes, [[""] * frame.n_sessions]
    preset = dict(pinned_groups)
    if constraints.within == "date" and all(p.date for p in frame.places):
        # Sessions with dates keep talks on their own date: the group of a session is its date.
        for k, place in enumerate(frame.places):
            if preset.setdefault(k, place.date) != place.date:
                raise PlanError(f"session {k + 1} is on {place.date} but a talk of {preset[k]} is pinned to it")
    return sizes, _group_mappings(sizes, counts, preset)


def _flexible_groups(n_items: int, frame: Frame, counts, pinned_groups: dict[int, str]):
    """Sizes within the frame's bounds and the one mapping of sessions to groups, pinned sessions in theirs."""
    n_sessions = frame.n_sessions
    sizes, groups = _flexible_sizes(n_items, frame, counts)
    if counts is not None and pinned_groups:  # give pinned sessions a session of their group
        order = sorted(range(n_sessions), key=lambda k: (k not in pinned_groups, k))
        pool = defaultdict(list)
        for size, g in zip(sizes, groups, strict=True):
            pool[g].append(size)
        new_sizes, new_groups = [0] * n_sessions, [""] * n_sessions
        for k in order:
            g = pinned_groups.get(k) or next(h for h in sorted(pool) if pool[h])
            if not pool[g]:
                raise PlanError(f"--within: more sessions are pinned to group {g!r} than it can fill")
            new_sizes[k], new_groups[k] = pool[g].pop(), g
        sizes, groups = new_sizes, new_groups
    return sizes, [groups]


def _allowed_matrix(records, constraints: Constraints, slots: np.ndarray, groups, item_groups) -> np.ndarray:
    """allowed[item, session] for one mapping of sessions to groups: the item's group, its speakers' slots."""
    allowed = np.ones((len(records), len(slots)), dtype=np.bool_)
    if item_groups is not None:
        allowed &= item_groups[:, None] == np.array(groups, dtype=object)[None, :]
    for speaker, blocked in constraints.unavailable:
        rows = [i for i, r in enumerate(records) if speaker_key(speaker) in map(speaker_key, r.speakers)]
        allowed[np.ix_(rows, np.isin(slots, list(blocked)))] = False
    return allowed


def _seat_pins(
    records, pins: dict[int, int], allowed, constraints: Constraints, check_pins: bool, grouped: bool
) -> str:
    """Forces each pinned item into its session; names what leaves this candidate impossible ("" if nothing)."""
    problem = _pin_problem(records, pins, allowed, constraints) if check_pins else ""
    for i, k in pins.items():
        allowed[i] = False
        allowed[i, k] = True
    stuck = [i for i in range(len(records)) if not allowed[i].any()]
    if stuck and not problem:
        problem = (
            f"{records[stuck[0]].id} has no possible session: its speaker is unavailable in every slot "
            "that could take it" + (f" (within its {constraints.within} group)" if grouped else "")
        )
    return problem


def _pin_problem(records, pins: dict[int, int], allowed: np.ndarray, constraints: Constraints) -> str:
    for i, k in pins.items():
        if not allowed[i, k]:
            return (
                f"{records[i].id} is pinned to session {k + 1}, where it is not allowed "
                "(its speaker is unavailable in that slot, or it is outside its "
                f"{constraints.within or 'within'} group)"
            )
    return ""


def _check_pinned_clashes(records, pins: dict[int, int], slots: np.ndarray) -> None:
    pointer, flat = speaker_mates(records)
    for i, k in pins.items():
        for j in flat[pointer[i] : pointer[i + 1]]:
            other = pins.get(int(j))
            if other is not None and other != k and slots[other] == slots[k]:
                shared = sorted(set(map(speaker_key, records[i].speakers)) & set(map(speaker_key, records[j].speakers)))
                raise PlanError(
                    f"{records[i].id} and {records[j].id} share speaker {shared[0]!r} but are pinned to "
                    f"sessions {k + 1} and {other + 1}, which run in parallel"
                )


def explain_unseatable(allowed: np.ndarray, sizes: Sequence[int]) -> str:
    """Names a set of items that need more seats than the sessions open to them have (Hall's condition)."""
    seats = np.asarray(sizes)
    for row in range(allowed.shape[0]):
        open_sessions = allowed[row]
        needing = np.flatnonzero((allowed & ~open_sessions[None, :]).sum(axis=1) == 0)
        if len(needing) > seats[open_sessions].sum():
            numbers = [int(k) + 1 for k in np.flatnonzero(open_sessions)]
            return (
                f"{len(needing)} items can only go to sessions {numbers}, "
                f"which have {int(seats[open_sessions].sum())} seats (pins, --within groups or unavailability)"
            )
    return "the pins, --within groups and unavailability leave some items without a free seat"


def explain_clashes(records: Sequence[Abstract], labels: np.ndarray, frame: Frame) -> str:
    """Why no clash-free plan was found: the speakers whose talks stayed in parallel sessions."""
    pointer, flat = speaker_mates(records)
    slots = np.array([p.slot for p in frame.places])
    pairs = []
    for i in range(len(records)):
        for j in flat[pointer[i] : pointer[i + 1]]:
            if i < j and labels[i] != labels[j] and slots[labels[i]] == slots[labels[j]]:
                pairs.append(f"{records[i].id} and {records[j].id}")
    shown = "; ".join(pairs[:5]) or "talks sharing a speaker"
    return (
        f"cannot keep every speaker out of parallel sessions: {shown} share a speaker and could not be "
        "separated (too few slots or seats for that speaker's talks, or pins and unavailability block it)"
    )
