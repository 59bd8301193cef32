"""Analysing a plan: sessions with titles and a flowing order, item fits, and comparisons.

Kept apart from the search for a plan (`abstract_search.plan.planner`) because it serves any
grouping, ours or the organizers': `describe_plan` turns labels into sessions with a title,
a coherence and an order where neighbours are similar, plus each item's fit and the best
legal move or swap for odd ones out, and `compare_plans` pairs a baseline with a proposal.
The similarity and parallel-session matrices and the speaker lists of the clash rule, which
both sides score with, are made here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from abstract_search.plan import search as plan_search
from abstract_search.plan.allowed import build_allowed
from abstract_search.plan.frame import Constraints, Frame, Place, PlanError, speaker_mates
from abstract_search.records import Abstract


@dataclass(frozen=True)
class Session:
    """One session of a plan; `item_ids` are in an order where neighbours are similar."""

    index: int
    place: Place
    title: str
    keywords: tuple[str, ...]
    item_ids: tuple[str, ...]
    coherence: float  # mean pairwise cosine within the session (nan for a single item)


@dataclass(frozen=True)
class ItemFit:
    """How well an item sits in its session, and the best legal change that moves it."""

    id: str
    session: int
    fit: float  # mean cosine to session-mates minus that to the best other session
    best_alternative: int  # the other session it is most similar to on average (-1: none)
    gain: float  # score change of the best legal move or swap into it (0: none helps or is legal)
    swap_with: str = ""  # "" for a plain move (or no suggestion)


@dataclass(frozen=True)
class Plan:
    sessions: tuple[Session, ...]
    objective: float
    coherence: float  # mean over sessions of their coherence
    fits: tuple[ItemFit, ...]
    frame: Frame
    name: str = "proposed"
    labels: tuple[int, ...] = field(default=(), repr=False)  # session index of each item

    def odd_ones(self) -> list[ItemFit]:
        """Items closer to another session than to their own, with a change that helps."""
        return sorted((f for f in self.fits if f.fit < 0 and f.gain > 0), key=lambda f: -f.gain)


@dataclass(frozen=True)
class Comparison:
    baseline: Plan
    proposed: Plan
    improving_moves: tuple[ItemFit, ...]  # single changes that would improve the baseline


def session_coherence(embeddings: np.ndarray, labels: Sequence[int], n_sessions: int) -> np.ndarray:
    """Mean pairwise cosine within each session (nan where a session has fewer than two items)."""
    labels = np.asarray(labels)
    out = np.full(n_sessions, np.nan)
    for k in range(n_sessions):
        rows = embeddings[labels == k]
        if len(rows) >= 2:
            sims = rows @ rows.T
            out[k] = (sims.sum() - np.trace(sims)) / (len(rows) * (len(rows) - 1))
    return out


def similarity_matrix(embeddings: np.ndarray) -> np.ndarray:
    """Item-by-item cosine in float64 with a zero diagonal: the `S` of `abstract_search.plan.search`."""
    similarity = np.asarray(embeddings, dtype=np.float64) @ np.asarray(embeddings, dtype=np.float64).T
    np.fill_diagonal(similarity, 0.0)
    return np.ascontiguousarray(similarity)


def parallel_matrix(frame: Frame, n_sessions: int) -> np.ndarray:
    """parallel[a, c]: sessions a and c (a != c) share a time slot."""
    slots = np.array([frame.places[k].slot for k in range(n_sessions)])
    parallel = slots[:, None] == slots[None, :]
    np.fill_diagonal(parallel, False)
    return parallel


def clash_mates(records: Sequence[Abstract], constraints: Constraints) -> tuple[np.ndarray, np.ndarray]:
    """The speaker lists the clash rule checks: `speaker_mates`, or empty ones when the rule is off."""
    if constraints.separate_speakers:
        return speaker_mates(records)
    return np.zeros(len(records) + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)


def flow_order(similarity: np.ndarray, members: np.ndarray) -> list[int]:
    """Orders members so neighbours are similar: the best nearest-neighbour path, then 2-opt."""
    if len(members) <= 2:
        return [int(m) for m in members]
    sub = similarity[np.ix_(members, members)]
    m = len(members)
    best, best_length = None, -np.inf
    for first in range(m):
        path, left = [first], [j for j in range(m) if j != first]
        while left:
            nxt = max(left, key=lambda j: sub[path[-1], j])
            path.append(nxt)
            left.remove(nxt)
        improved = True
        while improved:  # reverse path[i..j] when that makes the two changed joins more similar
            improved = False
            for i in range(m - 1):
                for j in range(i + 1, m):
                    left_before = sub[path[i - 1], path[i]] if i else 0.0
                    right_before = sub[path[j], path[j + 1]] if j < m - 1 else 0.0
                    left_after = sub[path[i - 1], path[j]] if i else 0.0
                    right_after = sub[path[i], path[j + 1]] if j < m - 1 else 0.0
                    before, after = left_before + right_before, left_after + right_after
                    if after > before + 1e-12:
                        path[i : j + 1] = path[i : j + 1][::-1]
                        improved = True
        length = sum(sub[path[i], path[i + 1]] for i in range(m - 1))
        if length > best_length + 1e-12:
            best, best_length = path, length
    return [int(members[i]) for i in best]


def _session_titles(records, labels, n_sessions) -> list[tuple[str, tuple[str, ...]]]:
    try:
        from abstract_search.topics.labels import describe_groups
    except ImportError:  # labelling is a nicety: a plan without titles still works
        return [(f"Session {k + 1}", ()) for k in range(n_sessions)]
    described = {d.group: d for d in describe_groups([r.text for r in records], list(labels))}
    return [
        (described[k].label, tuple(described[k].keywords)) if k in described else (f"Session {k + 1}", ())
        for k in range(n_sessions)
    ]


def _item_fits(records, similarity, labels, frame, constraints, parallel_weight, allowed, low, high):
    """Each item's fit, and the best legal move or swap into its best alternative session."""
    n_sessions = len(frame.places)
    item_to_session, pair_sums, current = plan_search.state_arrays(labels, similarity, n_sessions)
    parallel = parallel_matrix(frame, n_sessions)
    slot = np.array([p.slot for p in frame.places], dtype=np.int64)
    mate_ptr, mate_idx = clash_mates(records, constraints)
    n_pairs = int(np.triu(parallel, 1).sum())
    scale = parallel_weight / n_pairs if n_pairs else 0.0
    per_item = bool(high > low)
    norm = float(len(records) if per_item else n_sessions)
    mean_to = item_to_session.T / np.maximum(current, 1)[None, :]
    own = item_to_session[labels, np.arange(len(labels))] / np.maximum(current[labels] - 1, 1)
    fits = []
    for x, record in enumerate(records):
        a = int(labels[x])
        others = [k for k in range(n_sessions) if k != a and current[k] > 0]
        if not others:
            fits.append(ItemFit(record.id, a, float("nan"), -1, 0.0))
            continue
        b = max(others, key=lambda k: mean_to[x, k])
        best_gain, partner = 0.0, ""
        if allowed[x, b] and high > low and current[a] - 1 >= low and current[b] + 1 <= high:
            if plan_search._clashes(x, b, x, labels, slot, mate_ptr, mate_idx) == 0:
                best_gain = plan_search._move_delta(
                    x, a, b, similarity, item_to_session, pair_sums, current, parallel, norm, per_item, scale
                )
        for y in np.flatnonzero(labels == b) if allowed[x, b] else ():
            if (
                not allowed[y, a]
                or plan_search._clashes(x, b, y, labels, slot, mate_ptr, mate_idx)
                or plan_search._clashes(y, a, x, labels, slot, mate_ptr, mate_idx)
            ):
                continue
            gain = plan_search._swap_delta(
                x, y, a, b, similarity, item_to_session, pair_sums, current, parallel, norm, per_item, scale
            )
            if gain > best_gain + 1e-12:
                best_gain, partner = gain, records[y].id
        fit = float(own[x] - mean_to[x, b]) if current[a] > 1 else float("nan")
        fits.append(ItemFit(record.id, a, fit, b, float(max(best_gain, 0.0)), partner if best_gain > 0 else ""))
    return fits


def describe_plan(
    records: Sequence[Abstract],
    embeddings: np.ndarray,
    labels: Sequence[int],
    frame: Frame,
    constraints: Constraints | None = None,
    *,
    parallel_weight: float = 0.5,
    name: str = "proposed",
) -> Plan:
    """Sessions (title, coherence, flowing order) and item fits of any grouping."""
    constraints = constraints or Constraints()
    labels = np.asarray(labels, dtype=np.int64)
    n_sessions = len(frame.places)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    similarity = similarity_matrix(embeddings)
    coherence = session_coherence(embeddings, labels, n_sessions)
    titles = _session_titles(records, labels, n_sessions)
    sessions = []
    for k in range(n_sessions):
        order = flow_order(similarity, np.flatnonzero(labels == k))
        sessions.append(
            Session(
                k, frame.places[k], titles[k][0], titles[k][1], tuple(records[i].id for i in order), float(coherence[k])
            )
        )
    parallel = parallel_matrix(frame, n_sessions)
    _, allowed, low, high = build_allowed(records, frame, constraints, labels=labels)
    objective = plan_search.score(labels, similarity, n_sessions, parallel, parallel_weight, high > low)
    fits = _item_fits(records, similarity, labels, frame, constraints, parallel_weight, allowed, low, high)
    mean = float(np.nanmean(coherence)) if np.isfinite(coherence).any() else float("nan")
    return Plan(tuple(sessions), float(objective), mean, tuple(fits), frame, name, tuple(int(v) for v in labels))


def compare_plans(baseline: Plan, proposed: Plan) -> Comparison:
    """Pairs a baseline (e.g. the organizers') with a proposal; lists changes that improve the baseline."""
    if len(baseline.sessions) != len(proposed.sessions):
        raise PlanError(f"cannot compare plans with {len(baseline.sessions)} and {len(proposed.sessions)} sessions")
    moves = sorted((f for f in baseline.fits if f.gain > 0), key=lambda f: -f.gain)
    return Comparison(baseline, proposed, tuple(moves))
