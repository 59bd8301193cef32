"""The search behind `plan_sessions`: simulated annealing over moves and swaps of items.

Everything here works on arrays: `S` (item-by-item cosine, zero diagonal), labels (the
session of each item), `A[k, x]` (summed similarity of item x to the members of session k)
and `P[a, c]` (summed similarity between sessions a and c; the diagonal holds within-session
pair sums). The score of a grouping is

    mean over sessions of within-session mean pairwise cosine
    - parallel_weight * mean over pairs of parallel sessions of their mean cross cosine,

(when session sizes may vary, the first term is weighted by session size, i.e. the mean over
items of their mean cosine to their session-mates, so a few tight pairs cannot hide a large
incoherent session),

so a proposal's change of score is a handful of lookups in `A` and `P` (O(parallel
sessions)), and applying it updates two columns of `A` (O(n)). Hard constraints are a static
`allowed[x, k]` matrix (pins, `within` groups, unavailability, size bounds) and the speaker
clash rule (two talks sharing a speaker never in different sessions of one time slot), which
the search treats as a huge penalty so it repairs a clashing start; only clash-free states
are ever returned. The kernels are compiled with numba (a dependency of umap-learn) when it
is importable, else run as plain Python (slow, same results).
"""

from __future__ import annotations

import math

import numpy as np

CLASH_PENALTY = 1.0e3  # far above any change of the score (cosines are in [-1, 1])

try:  # numba ships with umap-learn; without it the same code runs as plain Python
    from numba import njit
except ImportError:  # pragma: no cover - exercised only where numba is missing

    def njit(*args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda func: func


@njit(cache=True)
def _within_weight(size, norm, per_item):
    """Weight of a session's pair sum: 1/(norm * pairs), or size/(norm * pairs) when per item."""
    if size < 2:
        return 0.0
    if per_item:
        return 2.0 / (norm * (size - 1))
    return 2.0 / (norm * size * (size - 1))


@njit(cache=True)
def _cross_weight(size_a, size_c, parallel_scale):
    if size_a < 1 or size_c < 1:
        return 0.0
    return -parallel_scale / (size_a * size_c)


@njit(cache=True)
def _clashes(x, k, skip, labels, slot, mate_ptr, mate_idx):
    """Talks sharing a speaker with x that sit in another session of k's slot."""
    count = 0
    for p in range(mate_ptr[x], mate_ptr[x + 1]):
        m = mate_idx[p]
        if m == skip:
            continue
        other = labels[m]
        if other != k and slot[other] == slot[k]:
            count += 1
    return count


@njit(cache=True)
def _move_delta(x, a, b, S, A, P, sizes, parallel, norm, per_item, parallel_scale):
    delta = _within_weight(sizes[a] - 1, norm, per_item) * (P[a, a] - A[a, x])
    delta -= _within_weight(sizes[a], norm, per_item) * P[a, a]
    delta += _within_weight(sizes[b] + 1, norm, per_item) * (P[b, b] + A[b, x])
    delta -= _within_weight(sizes[b], norm, per_item) * P[b, b]
    if parallel_scale != 0.0:
        for c in range(P.shape[0]):
            if c == a or c == b:
                continue
            if parallel[a, c]:
                delta += _cross_weight(sizes[a] - 1, sizes[c], parallel_scale) * (P[a, c] - A[c, x])
                delta -= _cross_weight(sizes[a], sizes[c], parallel_scale) * P[a, c]
            if parallel[b, c]:
                delta += _cross_weight(sizes[b] + 1, sizes[c], parallel_scale) * (P[b, c] + A[c, x])
                delta -= _cross_weight(sizes[b], sizes[c], parallel_scale) * P[b, c]
        if parallel[a, b]:
            new = P[a, b] - A[b, x] + A[a, x]
            delta += _cross_weight(sizes[a] - 1, sizes[b] + 1, parallel_scale) * new
            delta -= _cross_weight(sizes[a], sizes[b], parallel_scale) * P[a, b]
    return delta


@njit(cache=True)
def _swap_delta(x, y, a, b, S, A, P, sizes, parallel, norm, per_item, parallel_scale):
    sxy = S[x, y]
    delta = _within_weight(sizes[a], norm, per_item) * (A[a, y] - A[a, x] - sxy)
    delta += _within_weight(sizes[b], norm, per_item) * (A[b, x] - A[b, y] - sxy)
    if parallel_scale != 0.0:
        for c in range(P.shape[0]):
            if c == a or c == b:
                continue
            if parallel[a, c]:
                delta += _cross_weight(sizes[a], sizes[c], parallel_scale) * (A[c, y] - A[c, x])
            if parallel[b, c]:
                delta += _cross_weight(sizes[b], sizes[c], parallel_scale) * (A[c, x] - A[c, y])
        if parallel[a, b]:
            change = A[b, y] + A[a, x] - A[b, x] - A[a, y] + 2.0 * sxy
            delta += _cross_weight(sizes[a], sizes[b], parallel_scale) * change
    return delta


@njit(cache=True)
def _apply_move(x, b, labels, S, A, P, sizes, parallel):
    a = labels[x]
    n_sessions = P.shape[0]
    P[a, a] -= A[a, x]
    P[b, b] += A[b, x]
    for c in range(n_sessions):
        if c != a and c != b and parallel[a, c]:
            P[a, c] -= A[c, x]
            P[c, a] = P[a, c]
        if c != a and c != b and parallel[b, c]:
            P[b, c] += A[c, x]
            P[c, b] = P[b, c]
    if parallel[a, b]:
        P[a, b] += A[a, x] - A[b, x]
        P[b, a] = P[a, b]
    for z in range(S.shape[0]):
        A[a, z] -= S[x, z]
        A[b, z] += S[x, z]
    labels[x] = b
    sizes[a] -= 1
    sizes[b] += 1


@njit(cache=True)
def _propose(x, y, labels, allowed, sizes, low, high, is_move):
    """Returns the target session of x (y's session) or -1 when the proposal is illegal."""
    a = labels[x]
    b = labels[y]
    if a == b:
        return -1
    if is_move:
        if sizes[a] - 1 < low or sizes[b] + 1 > high or not allowed[x, b]:
            return -1
        return b
    if not allowed[x, b] or not allowed[y, a]:
        return -1
    return b


@njit(cache=True)
def anneal(
    labels,
    S,
    A,
    P,
    sizes,
    allowed,
    parallel,
    slot,
    mate_ptr,
    mate_idx,
    low,
    high,
    moves,
    norm,
    per_item,
    parallel_scale,
    iterations,
    temperature,
    seed,
):
    """Simulated annealing from `labels` (modified in place); returns the best clash-free labels.

    Returns (best labels, best score change relative to the start, whether any clash-free state
    was seen). The start may clash; the clash penalty makes the search repair it first.
    """
    np.random.seed(seed)
    n = labels.shape[0]
    clashes = 0
    for x in range(n):
        clashes += _clashes(x, labels[x], -1, labels, slot, mate_ptr, mate_idx)
    current = 0.0
    best = -1.0e300
    best_labels = labels.copy()
    feasible = clashes == 0
    if feasible:
        best = 0.0
    t_end = temperature * 1.0e-3
    for it in range(iterations):
        t = temperature * (t_end / temperature) ** (it / iterations) if temperature > 0 else 0.0
        x = np.random.randint(n)
        y = np.random.randint(n)
        is_move = moves and np.random.random() < 0.5  # half the proposals move when sizes vary
        b = _propose(x, y, labels, allowed, sizes, low, high, is_move)
        if b < 0:
            continue
        a = labels[x]
        if is_move:
            delta = _move_delta(x, a, b, S, A, P, sizes, parallel, norm, per_item, parallel_scale)
            clash_change = _clashes(x, b, x, labels, slot, mate_ptr, mate_idx) - _clashes(
                x, a, x, labels, slot, mate_ptr, mate_idx
            )
        else:
            delta = _swap_delta(x, y, a, b, S, A, P, sizes, parallel, norm, per_item, parallel_scale)
            clash_change = (
                _clashes(x, b, y, labels, slot, mate_ptr, mate_idx)
                - _clashes(x, a, y, labels, slot, mate_ptr, mate_idx)
                + _clashes(y, a, x, labels, slot, mate_ptr, mate_idx)
                - _clashes(y, b, x, labels, slot, mate_ptr, mate_idx)
            )
        total = delta - CLASH_PENALTY * clash_change
        if total > 0.0 or (t > 0.0 and np.random.random() < math.exp(total / t)):
            _apply_move(x, b, labels, S, A, P, sizes, parallel)
            if not is_move:
                _apply_move(y, a, labels, S, A, P, sizes, parallel)
            current += delta
            clashes += 2 * clash_change
            if clashes == 0 and current > best + 1e-12:
                best = current
                best_labels[:] = labels
                feasible = True
    return best_labels, best, feasible


@njit(cache=True)
def descend(
    labels,
    S,
    A,
    P,
    sizes,
    allowed,
    parallel,
    slot,
    mate_ptr,
    mate_idx,
    low,
    high,
    moves,
    norm,
    per_item,
    parallel_scale,
):
    """Applies improving clash-free moves and swaps until none is left (a local optimum)."""
    n = labels.shape[0]
    gained = 0.0
    improved = True
    while improved:
        improved = False
        for x in range(n):
            for y in range(n):
                a = labels[x]
                b = labels[y]
                if a == b:
                    continue
                if moves and sizes[a] - 1 >= low and sizes[b] + 1 <= high and allowed[x, b]:
                    if _clashes(x, b, x, labels, slot, mate_ptr, mate_idx) == 0:
                        delta = _move_delta(x, a, b, S, A, P, sizes, parallel, norm, per_item, parallel_scale)
                        if delta > 1e-12:
                            _apply_move(x, b, labels, S, A, P, sizes, parallel)
                            gained += delta
                            improved = True
                            continue
                if not allowed[x, b] or not allowed[y, a]:
                    continue
                delta = _swap_delta(x, y, a, b, S, A, P, sizes, parallel, norm, per_item, parallel_scale)
                if delta <= 1e-12:
                    continue
                if (
                    _clashes(x, b, y, labels, slot, mate_ptr, mate_idx) == 0
                    and _clashes(y, a, x, labels, slot, mate_ptr, mate_idx) == 0
                ):
                    _apply_move(x, b, labels, S, A, P, sizes, parallel)
                    _apply_move(y, a, labels, S, A, P, sizes, parallel)
                    gained += delta
                    improved = True
    return gained


def state_arrays(labels: np.ndarray, similarity: np.ndarray, n_sessions: int):
    """(A, P, sizes) of a grouping: A[k, x] sums x's similarity to session k's members (session-major,
    so applying a move updates two contiguous rows), P[a, c] sums similarity between sessions."""
    onehot = np.zeros((len(labels), n_sessions))
    onehot[np.arange(len(labels)), labels] = 1.0
    item_to_session = similarity @ onehot
    pair_sums = onehot.T @ item_to_session
    pair_sums[np.diag_indices(n_sessions)] /= 2.0  # within: each pair once
    sizes = onehot.sum(axis=0).astype(np.int64)
    return np.ascontiguousarray(item_to_session.T), np.ascontiguousarray(pair_sums), sizes


def score(
    labels: np.ndarray,
    similarity: np.ndarray,
    n_sessions: int,
    parallel: np.ndarray,
    parallel_weight: float,
    per_item: bool = False,
) -> float:
    """The objective the search maximises (see the module docstring)."""
    _, pair_sums, sizes = state_arrays(labels, similarity, n_sessions)
    within = [2 * pair_sums[k, k] / (s * (s - 1)) * (s if per_item else 1) for k, s in enumerate(sizes) if s >= 2]
    value = float(np.sum(within)) / (len(labels) if per_item else n_sessions)
    pairs = np.argwhere(np.triu(parallel, 1))
    if len(pairs) and parallel_weight:
        cross = [pair_sums[a, c] / (sizes[a] * sizes[c]) for a, c in pairs if sizes[a] and sizes[c]]
        value -= parallel_weight * float(np.sum(cross)) / len(pairs)
    return value
