"""Session planning: group talks into coherent sessions under hard constraints.

`plan_sessions` builds a start by assigning items to seats near k-means centroids (an optimal
assignment, so pins, `within` groups and availability hold from the start), then improves it by
simulated annealing over moves and swaps (plan/search.py) and a final descent to a local optimum;
a few restarts from other k-means seeds, the best kept. The same seed gives the same plan.
`describe_plan` (in `abstract_search.plan.analysis`, re-exported here with the plan's data
classes) turns any grouping (ours or the organizers') into sessions with a title, a
coherence and a flowing order, plus each item's fit and the best move for odd ones out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from abstract_search.plan import search as plan_search
from abstract_search.plan.allowed import explain_clashes, explain_unseatable, iter_allowed
from abstract_search.plan.analysis import (
    Comparison,
    ItemFit,
    Plan,
    Session,
    clash_mates,
    compare_plans,
    describe_plan,
    flow_order,
    parallel_matrix,
    session_coherence,
    similarity_matrix,
)
from abstract_search.plan.frame import Constraints, Frame, Place, PlanError, group_values
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


def _same_value(records: Sequence[Abstract], field: str) -> np.ndarray:
    """1 where two different items share their value of `field`, else 0."""
    values = group_values(records, field, option="--prefer-within")
    codes = np.unique(np.array(values, dtype=object), return_inverse=True)[1]
    same = (codes[:, None] == codes[None, :]).astype(np.float64)
    np.fill_diagonal(same, 0.0)
    return same


def _unit_kmeans(embeddings: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(unit centroids, labels): scikit-learn's KMeans on the unit rows, as the topic model uses.

    One k-means++ initialisation (n_init=1): a start only has to be near a good grouping, the
    annealing does the rest, and each restart already brings its own seed.
    """
    from sklearn.cluster import KMeans

    kmeans = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(embeddings)
    centroids = kmeans.cluster_centers_.astype(np.float64)
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return centroids, kmeans.labels_.astype(np.int64)


def _start_labels(embeddings, sizes, allowed, seed) -> np.ndarray:
    """Seats every item at a session near its k-means centroid by an optimal assignment."""
    from scipy.optimize import linear_sum_assignment

    n_sessions = len(sizes)
    centroids, cluster_of = _unit_kmeans(embeddings, n_sessions, seed)
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
    similarity = similarity_matrix(embeddings)
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
    parallel = parallel_matrix(frame, n_sessions)
    slot = np.array([frame.places[k].slot for k in range(n_sessions)], dtype=np.int64)
    mate_ptr, mate_idx = clash_mates(records, constraints)
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
