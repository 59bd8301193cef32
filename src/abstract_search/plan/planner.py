"""Session planning: group talks into coherent sessions under hard constraints, and analyse plans.

`plan_sessions` builds a start by assigning items to seats near k-means centroids (an optimal
assignment, so pins, `within` groups and availability hold from the start), then improves it by
simulated annealing over moves and swaps (plan_search.py) and a final descent to a local optimum;
a few restarts from other k-means seeds, the best kept. The same seed gives the same plan.
`describe_plan` turns any grouping (ours or the organizers') into sessions with a title, a
coherence and a flowing order, plus each item's fit and the best move for odd ones out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from abstract_search.plan import search as plan_search
from abstract_search.plan.frame import (
    Constraints,
    Frame,
    Place,
    PlanError,
    build_allowed,
    explain_clashes,
    explain_unseatable,
    group_values,
    iter_allowed,
    speaker_mates,
)
from abstract_search.records import Abstract

__all__ = [
    "Constraints",
    "Frame",
    "ItemFit",
    "Place",
    "Plan",
    "PlanError",
    "Session",
    "Comparison",
    "compare_plans",
    "describe_plan",
    "flow_order",
    "plan_sessions",
    "session_coherence",
]

ITERATIONS_PER_ITEM = 6_000
MIN_ITERATIONS = 250_000  # small sets get a longer walk per item: it is cheap there
LONGEST_WALK = 2_000_000  # the retry after a walk that never got clear of speaker clashes
MAX_GROUPINGS = 20  # with `within`, how many ways to give sessions a group are tried
# Start temperature, as a fraction of a typical swap's score change; chosen on the EMNLP Findings
# papers (which no benchmark reports) regrouped into random frames.
TEMPERATURE = 0.5


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


def _similarity(embeddings: np.ndarray) -> np.ndarray:
    similarity = np.asarray(embeddings, dtype=np.float64) @ np.asarray(embeddings, dtype=np.float64).T
    np.fill_diagonal(similarity, 0.0)
    return np.ascontiguousarray(similarity)


def _same_value(records: Sequence[Abstract], field: str) -> np.ndarray:
    """1 where two different items share their value of `field`, else 0."""
    values = group_values(records, field, option="--prefer-within")
    codes = np.unique(np.array(values, dtype=object), return_inverse=True)[1]
    same = (codes[:, None] == codes[None, :]).astype(np.float64)
    np.fill_diagonal(same, 0.0)
    return same


def _parallel_matrix(frame: Frame, n_sessions: int) -> np.ndarray:
    slots = np.array([frame.places[k].slot for k in range(n_sessions)])
    parallel = slots[:, None] == slots[None, :]
    np.fill_diagonal(parallel, False)
    return parallel


def _start_labels(embeddings, sizes, allowed, seed) -> np.ndarray:
    """Seats every item at a session near its k-means centroid by an optimal assignment."""
    from scipy.optimize import linear_sum_assignment

    n_sessions = len(sizes)
    centroids, cluster_of = plan_search.spherical_kmeans(embeddings, n_sessions, seed)
    cluster_sizes = np.bincount(cluster_of, minlength=n_sessions)
    # Which centroid each session takes: similar size, and members allowed in the session.
    members_allowed = np.stack(
        [allowed[cluster_of == c].mean(axis=0) if cluster_sizes[c] else np.ones(n_sessions) for c in range(n_sessions)]
    )
    cost = np.abs(cluster_sizes[:, None] - np.asarray(sizes)[None, :]) / max(sizes) + 2 * (1 - members_allowed)
    clusters, sessions = linear_sum_assignment(cost)
    session_centroid = np.empty_like(centroids)
    session_centroid[sessions] = centroids[clusters]
    seats = np.repeat(np.arange(n_sessions), sizes)
    seat_cost = -(embeddings @ session_centroid.T)[:, seats] + 1e6 * (~allowed[:, seats])
    rows, cols = linear_sum_assignment(seat_cost)
    labels = np.empty(len(embeddings), dtype=np.int64)
    labels[rows] = seats[cols]
    if not allowed[np.arange(len(labels)), labels].all():
        raise PlanError(explain_unseatable(allowed, sizes))
    return labels


def _typical_change(similarity, labels, sizes, n_sessions, norm, per_item) -> float:
    """Mean |score change| of random swaps: the scale the annealing temperature is set in."""
    rng = np.random.default_rng(0)
    xs, ys = rng.integers(len(labels), size=(2, 2000))
    keep = labels[xs] != labels[ys]
    xs, ys = xs[keep], ys[keep]
    if not len(xs):
        return 0.0
    item_to_session, _, _ = plan_search.state_arrays(labels, similarity, n_sessions)
    a, b = labels[xs], labels[ys]
    weight = 2.0 / (norm * np.maximum((sizes - 1) * (1 if per_item else sizes), 1))
    change = weight[a] * (item_to_session[a, ys] - item_to_session[a, xs] - similarity[xs, ys]) + weight[b] * (
        item_to_session[b, xs] - item_to_session[b, ys] - similarity[xs, ys]
    )
    return float(np.mean(np.abs(change)))


def plan_sessions(
    records: Sequence[Abstract],
    embeddings: np.ndarray,
    frame: Frame,
    constraints: Constraints | None = None,
    *,
    parallel_weight: float = 0.5,
    prefer_within: str = "",
    prefer_weight: float = 0.1,
    seed: int = 0,
    effort: float = 1.0,
    restarts: int | None = None,
) -> Plan:
    """Groups `records` into the sessions of `frame`, maximising within-session similarity.

    Args:
        records: the items to place (all talks, or any subset), aligned with `embeddings`.
        embeddings: unit rows (inner product is cosine).
        frame: session sizes (or a count with size bounds) and where each session sits in time.
        constraints: pins, speaker unavailability, `within` grouping, speaker clash rule.
        parallel_weight: how much to push simultaneous sessions apart (0 ignores it).
        prefer_within: a record field (e.g. "tags", "date") whose values sessions should rather
            not mix: the soft form of `constraints.within`. Two items with the same value count
            as `prefer_weight` more similar while searching; the coherence reported stays the
            plain cosine, so the cost of the preference in coherence is visible.
        prefer_weight: the bonus of a same-value pair, in cosine units.
        seed: the same seed gives the same plan.
        effort: scales the number of annealing steps (1.0: 6,000 per item and restart).
        restarts: annealing runs, each from its own k-means start; the best is kept (default: more
            for small sets, where a run is cheap).

    Raises:
        PlanError: the frame and constraints cannot all hold; the message says what conflicts.
    """
    constraints = constraints or Constraints()
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if len(records) != len(embeddings):
        raise PlanError(f"got {len(records)} items but {len(embeddings)} embeddings")
    similarity = _similarity(embeddings)
    if prefer_within:
        if not np.isfinite(prefer_weight):
            raise PlanError(f"--prefer-weight must be a number, got {prefer_weight}")
        similarity = similarity + prefer_weight * _same_value(records, prefer_within)
    error = None
    # With `within`, each way to give sessions a group is tried in turn (most frames have one).
    for attempt, candidate in enumerate(iter_allowed(records, frame, constraints)):
        if attempt == MAX_GROUPINGS:
            break
        try:
            labels = _search(
                records, embeddings, similarity, frame, constraints, candidate, parallel_weight, seed, effort, restarts
            )
        except PlanError as err:
            error = error or err
            continue
        return describe_plan(
            records, embeddings, labels, frame, constraints, parallel_weight=parallel_weight, name="proposed"
        )
    raise error


def _search(
    records, embeddings, similarity, frame, constraints, candidate, parallel_weight, seed, effort, restarts
) -> np.ndarray:
    """The best clash-free labels found for one candidate (sizes, allowed, size bounds)."""
    sizes, allowed, low, high = candidate
    n_sessions = len(sizes)
    parallel = _parallel_matrix(frame, n_sessions)
    slot = np.array([frame.places[k].slot for k in range(n_sessions)], dtype=np.int64)
    mate_ptr, mate_idx = (
        speaker_mates(records)
        if constraints.separate_speakers
        else (np.zeros(len(records) + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    )
    start = _start_labels(embeddings, sizes, allowed, seed)
    n_pairs = int(np.triu(parallel, 1).sum())
    parallel_scale = parallel_weight / n_pairs if n_pairs else 0.0
    moves = bool(high > low)
    per_item = moves  # with varying sizes, weigh sessions by size (see plan_search)
    norm = float(len(records) if per_item else n_sessions)
    temperature = TEMPERATURE * _typical_change(similarity, start, np.asarray(sizes), n_sessions, norm, per_item)
    iterations = int(effort * max(ITERATIONS_PER_ITEM * len(records), MIN_ITERATIONS))
    common = (allowed, parallel, slot, mate_ptr, mate_idx, low, high, moves, norm, per_item, parallel_scale)
    best_labels, best_score = None, -np.inf
    restarts = restarts if restarts is not None else int(np.clip(2000 // max(len(records), 1), 1, 8))
    # A speaker's talks in one slot must end in one session. When pins and unavailability leave
    # one way to do that, the walk reaches it only through clash-neutral swaps, so a short walk
    # can miss it on a feasible frame: before explaining a clash, walk longer (8x, up to
    # LONGEST_WALK steps, so a frame that really clashes is still explained in seconds).
    for walk in sorted({iterations, max(iterations, min(8 * iterations, LONGEST_WALK))}):
        for restart in range(max(1, restarts)):
            labels = start.copy() if restart == 0 else _start_labels(embeddings, sizes, allowed, seed * 1000 + restart)
            item_to_session, pair_sums, current_sizes = plan_search.state_arrays(labels, similarity, n_sessions)
            found, _, feasible = plan_search.anneal(
                labels, similarity, item_to_session, pair_sums, current_sizes,
                *common, walk, temperature, seed * 1000 + restart,
            )  # fmt: skip
            if not feasible:
                continue
            item_to_session, pair_sums, current_sizes = plan_search.state_arrays(found, similarity, n_sessions)
            plan_search.descend(found, similarity, item_to_session, pair_sums, current_sizes, *common)
            value = plan_search.score(found, similarity, n_sessions, parallel, parallel_weight, per_item)
            if value > best_score + 1e-12:
                best_labels, best_score = found.copy(), value
        if best_labels is not None:
            break
    if best_labels is None:  # name the clashes the last walk could not remove
        raise PlanError(explain_clashes(records, labels, frame))
    return best_labels


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
        from abstract_search.topics.corpus import describe_groups
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
    parallel = _parallel_matrix(frame, n_sessions)
    slot = np.array([p.slot for p in frame.places], dtype=np.int64)
    mate_ptr, mate_idx = (
        speaker_mates(records)
        if constraints.separate_speakers
        else (np.zeros(len(records) + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    )
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
    similarity = _similarity(embeddings)
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
    parallel = _parallel_matrix(frame, n_sessions)
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
