"""Semantic-cache replay: a request is served by the most similar live cached prompt of its
partition when their cosine similarity reaches a threshold.

Two stages, so that a threshold sweep pays for the similarity search once:

1. `semantic_candidates` finds, for every request, its top-k earlier same-partition neighbours
   within the TTL window by exact blocked search (numpy matmul, so BLAS does the heavy part);
2. `semantic_replay` replays each threshold as an independent cache over those lists. The
   cache only holds misses, so the best live entry may lie beyond a request's top-k (its
   nearest neighbours were themselves hits); when that is possible the replay falls back to an
   exact search over the partition's live entries. The result therefore equals a brute-force
   replay that scans every live entry for every request.

Similarity is the float32 dot product of L2-normalised rows. It is compared with a threshold in
float64 (the float32 value widened exactly), so a similarity equal to the threshold is a hit.
Ties in similarity go to the earlier request (smaller index). Rows that are all zeros mean "no
text" and are ineligible. "Exact" is up to the rounding of the dot product itself: BLAS may sum
a pair's 256 products in a different order in a matrix product than in a vector one, so a pair
within one float32 step of a threshold could fall either side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipelines.savings.replay import (
    ScopeCache,
    as_times,
    check_capacity,
    check_lengths,
    check_ttl,
    concat_ranges,
    eligible_mask,
    scope_groups,
)

__all__ = ["Candidates", "SemanticResult", "semantic_candidates", "semantic_replay"]


@dataclass(frozen=True)
class Candidates:
    """CSR lists of neighbours: request i's are `idx[indptr[i]:indptr[i+1]]` with similarities
    `sim[...]`, the first k under (similarity desc, index asc), in that order. `complete[i]` is
    True when the list holds every earlier eligible neighbour in the window (at most k exist).
    `ttl` is the window the search used and `k` the list length bound."""

    indptr: np.ndarray
    idx: np.ndarray
    sim: np.ndarray
    complete: np.ndarray
    k: int
    ttl: float


@dataclass(frozen=True)
class SemanticResult:
    """One threshold's replay. Per request: `hit`, `source` (the index of the cached request
    whose response is served, -1 on a miss) and `similarity` (float32, NaN on a miss).
    `fallbacks` counts the requests that needed the exact search over live entries."""

    threshold: float
    hit: np.ndarray
    source: np.ndarray
    similarity: np.ndarray
    fallbacks: int


def semantic_candidates(
    t,
    partition,
    emb,
    eligible,
    *,
    ttl,
    k: int = 16,
    block: int = 1024,
    column_block: int = 16384,
) -> Candidates:
    """For each eligible request i, its top-k earlier eligible requests j (j < i) of the same
    partition with ``t[i] - t[j] < ttl``, by cosine similarity.

    Exact search: per partition, a block of `block` consecutive queries is multiplied against
    the earlier rows that can be within the TTL of any query in the block, `column_block`
    columns at a time with a running top-k, so memory stays bounded by block x column_block
    whatever the partition size or TTL. Each row's top-k is exact under (similarity desc,
    index asc); see `_top_k_rows` for why it is not an argpartition.
    """
    times, partition, emb, usable, ttl = _check_inputs(t, partition, emb, eligible, ttl)
    if k < 1 or block < 1 or column_block < 1:
        raise ValueError(
            f"k, block and column_block must be >= 1, got {k}, {block}, {column_block}"
        )
    n = times.size
    counts = np.zeros(n, dtype=np.int64)
    complete = np.ones(n, dtype=bool)
    pieces = []
    for rows in scope_groups(partition, np.flatnonzero(usable)):
        part_times = times[rows]
        part_emb = emb[rows]
        for start in range(0, rows.size, block):
            stop = min(start + block, rows.size)
            top_sim, top_pos, in_window = _block_top_k(
                part_times, part_emb, start, stop, ttl, k, column_block
            )
            valid = top_sim > -np.inf
            query_rows = rows[start:stop]
            counts[query_rows] = valid.sum(axis=1)
            complete[query_rows] = in_window <= k
            pieces.append((query_rows, rows[top_pos[valid]], top_sim[valid]))

    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    idx = np.empty(int(indptr[-1]), dtype=np.int64)
    sim = np.empty(int(indptr[-1]), dtype=np.float32)
    for query_rows, piece_idx, piece_sim in pieces:
        destination = concat_ranges(indptr[query_rows], counts[query_rows])
        idx[destination] = piece_idx
        sim[destination] = piece_sim
    return Candidates(indptr=indptr, idx=idx, sim=sim, complete=complete, k=k, ttl=ttl)


def semantic_replay(
    t,
    partition,
    emb,
    eligible,
    candidates: Candidates,
    thresholds,
    *,
    ttl,
    capacity: int | None = None,
    refresh_on_hit: bool = False,
) -> dict[float, SemanticResult]:
    """Replay one semantic cache per partition for each threshold (ascending keys).

    Request i walks its candidates by descending similarity while similarity >= threshold and
    is served by the first that is a live cache entry (a use: LRU, and a refresh when
    `refresh_on_hit`). When none is and the list was truncated with its last similarity still
    reaching the threshold, a qualifying live entry may lie beyond it, so the best live entry
    is found by an exact search instead (counted in `fallbacks`). A miss becomes an entry.

    `candidates` must come from `semantic_candidates` over the same requests with a window at
    least `ttl` (any entry live without refresh was written within it); with `refresh_on_hit`
    an entry can outlive its write by far, so the window must be unbounded (ttl=None).
    """
    times, partition, emb, usable, ttl = _check_inputs(t, partition, emb, eligible, ttl)
    capacity = check_capacity(capacity)
    n = times.size
    _check_candidates(candidates, n, ttl, refresh_on_hit)
    levels = sorted({float(value) for value in np.atleast_1d(np.asarray(thresholds, float))})
    if not levels or any(math.isnan(level) for level in levels):
        raise ValueError(f"thresholds must be a non-empty list of numbers, got {thresholds!r}")

    sources = {level: np.full(n, -1, dtype=np.int64) for level in levels}
    similarities = {level: np.full(n, np.nan, dtype=np.float32) for level in levels}
    fallbacks = dict.fromkeys(levels, 0)
    for rows in scope_groups(partition, np.flatnonzero(usable)):
        lists = _PartitionLists(candidates, rows, times)
        for level in levels:
            cache = _SemanticCache(ttl, capacity, refresh_on_hit, emb)
            served, sims, fell_back = _replay_partition(lists, level, cache)
            sources[level][rows] = served
            similarities[level][rows] = sims
            fallbacks[level] += fell_back
    return {
        level: SemanticResult(
            threshold=level,
            hit=sources[level] >= 0,
            source=sources[level],
            similarity=similarities[level],
            fallbacks=fallbacks[level],
        )
        for level in levels
    }


def _check_inputs(t, partition, emb, eligible, ttl):
    times = as_times(t)
    n = times.size
    partition = np.asarray(partition)
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    if emb.ndim != 2:
        raise ValueError(f"emb must be 2-D (one row per request), got shape {emb.shape}")
    check_lengths(n, partition=partition, emb=emb)
    squared_norms = np.einsum("ij,ij->i", emb, emb)
    if not np.isfinite(squared_norms).all():
        raise ValueError("emb contains NaN or infinite values")
    usable = eligible_mask(eligible, n) & (squared_norms > 0)
    return times, partition, emb, usable, check_ttl(ttl)


def _block_top_k(part_times, part_emb, start, stop, ttl, k, column_block):
    """Top-k earlier in-window neighbours of the queries at partition positions start:stop.

    Returns similarities and positions (within the partition), both (queries, k), sorted by
    (similarity desc, position asc) and padded with -inf similarity, and per query the number
    of in-window neighbours. Each query's window is a contiguous range of positions
    [first, query) because times are sorted."""
    query_pos = np.arange(start, stop)
    first = _window_starts(part_times, query_pos, ttl)
    queries = part_emb[start:stop]
    best_sim = best_pos = None
    for col_start in range(int(first[0]), stop - 1, column_block):
        col_stop = min(col_start + column_block, stop - 1)
        sims = queries @ part_emb[col_start:col_stop].T
        col_pos = np.arange(col_start, col_stop)
        np.putmask(
            sims, (col_pos < first[:, None]) | (col_pos >= query_pos[:, None]), -np.inf
        )
        top_sim, top_pos = _top_k_rows(sims, k, col_pos)
        if best_sim is not None:
            top_sim, top_pos = _top_k_rows(
                np.concatenate((best_sim, top_sim), axis=1), k,
                np.concatenate((best_pos, top_pos), axis=1),
            )
        best_sim, best_pos = top_sim, top_pos
    if best_sim is None:
        best_sim = np.full((stop - start, k), -np.inf, dtype=np.float32)
        best_pos = np.zeros((stop - start, k), dtype=np.int64)
    return best_sim, best_pos, query_pos - first


def _window_starts(part_times: np.ndarray, query_pos: np.ndarray, ttl: float) -> np.ndarray:
    """Per query, the first partition position j with t[query] - t[j] < ttl. searchsorted on
    t - ttl can be off by float rounding, so the exact test corrects it both ways."""
    if not math.isfinite(ttl):
        return np.zeros(query_pos.size, dtype=np.int64)
    query_times = part_times[query_pos]
    first = np.searchsorted(part_times, query_times - ttl, side="left")
    while True:
        back = first > 0
        back[back] = query_times[back] - part_times[first[back] - 1] < ttl
        if not back.any():
            break
        first[back] -= 1
    while True:
        ahead = first < query_pos
        ahead[ahead] = query_times[ahead] - part_times[first[ahead]] >= ttl
        if not ahead.any():
            return first
        first[ahead] += 1


# Groups of columns when bounding the k-th largest similarity (see _top_k_rows).
_GROUPS_PER_K = 8
_LOWEST = np.finfo(np.float32).min


def _top_k_rows(sims: np.ndarray, k: int, positions: np.ndarray):
    """Per row, the k largest finite similarities under (similarity desc, position asc),
    sorted, padded with -inf; `positions` gives each column's position (1-D, shared by all
    rows, or 2-D per row).

    Rather than argpartition over every column (the dominant cost at scale), split the
    columns into disjoint groups: the k-th largest group maximum is a lower bound on the row's
    k-th largest similarity (k groups each hold an element at least that large), so only the
    columns reaching it, typically a few times k, are sorted."""
    n_rows, width = sims.shape
    bound = np.full(n_rows, _LOWEST, dtype=np.float32)  # also drops the -inf padding
    groups = k * _GROUPS_PER_K
    if width >= 2 * groups:
        # Strided groups {j, j + groups, ...}: elementwise maxima of contiguous slices are far
        # faster than a reduction over a short inner axis.
        size = width // groups
        group_max = sims[:, :groups].copy()
        for part in range(1, size):
            np.maximum(group_max, sims[:, part * groups : (part + 1) * groups], out=group_max)
        np.maximum(bound, np.partition(group_max, groups - k, axis=1)[:, groups - k], out=bound)
    keep = sims >= bound[:, None]
    rows, cols = np.divmod(np.flatnonzero(keep), width)
    values = sims[rows, cols]
    pos = positions[cols] if positions.ndim == 1 else positions[rows, cols]
    order = np.lexsort((pos, -values, rows))
    rows, values, pos = rows[order], values[order], pos[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows, side="left")
    top = rank < k
    out_sim = np.full((n_rows, k), -np.inf, dtype=np.float32)
    out_pos = np.zeros((n_rows, k), dtype=np.int64)
    out_sim[rows[top], rank[top]] = values[top]
    out_pos[rows[top], rank[top]] = pos[top]
    return out_sim, out_pos


def _check_candidates(candidates: Candidates, n: int, ttl: float, refresh_on_hit: bool) -> None:
    if candidates.indptr.size != n + 1 or candidates.complete.size != n:
        raise ValueError(
            f"candidates describe {candidates.complete.size} requests, expected {n}: build them "
            "with semantic_candidates over the same arrays"
        )
    if refresh_on_hit and math.isfinite(candidates.ttl):
        raise ValueError(
            "refresh_on_hit keeps entries alive beyond their write time, so the candidates "
            f"must be searched without a window (ttl=None), not ttl={candidates.ttl}"
        )
    if candidates.ttl < ttl:
        raise ValueError(
            f"candidates were searched within ttl={candidates.ttl}, shorter than the replay "
            f"ttl={ttl}: live entries outside that window would be missed"
        )


class _PartitionLists:
    """One partition's requests and candidate lists as plain Python lists for the replay loop
    (built once, shared by every threshold)."""

    def __init__(self, candidates: Candidates, rows: np.ndarray, times: np.ndarray):
        starts = candidates.indptr[rows]
        lengths = candidates.indptr[rows + 1] - starts
        flat = concat_ranges(starts, lengths)
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        self.rows = rows.tolist()
        self.times = times[rows].tolist()
        self.offsets = offsets.tolist()
        self.idx = candidates.idx[flat].tolist()
        self.sim = candidates.sim[flat].tolist()
        self.complete = candidates.complete[rows].tolist()


def _replay_partition(lists: _PartitionLists, threshold: float, cache: _SemanticCache):
    cand_idx, cand_sim, offsets, complete = lists.idx, lists.sim, lists.offsets, lists.complete
    is_live, use, put = cache.is_live, cache.use, cache.put
    served_by, served_sim = [], []
    fallbacks = 0
    for r, (i, ti) in enumerate(zip(lists.rows, lists.times, strict=True)):
        lo, hi = offsets[r], offsets[r + 1]
        source, similarity = -1, math.nan
        for c in range(lo, hi):
            s = cand_sim[c]
            if s < threshold:
                break
            if is_live(cand_idx[c], ti):
                source, similarity = cand_idx[c], s
                break
        # Nothing live in a truncated list whose tail still qualifies: the best live entry
        # may be beyond it. (A live one found in the list is the best: everything left out
        # comes after it in (similarity desc, index asc) order.)
        if source < 0 and not complete[r] and cand_sim[hi - 1] >= threshold:
            fallbacks += 1
            source, similarity = cache.best_live(i, ti, threshold)
        if source >= 0:
            use(source, ti)
        else:
            put(i, i, ti)
        served_by.append(source)
        served_sim.append(similarity)
    return served_by, served_sim, fallbacks


class _SemanticCache(ScopeCache):
    """A partition's cache that also mirrors its entries' embeddings in one contiguous array,
    so the exact fallback is a single matrix-vector product instead of a gather of scattered
    rows (which costs several times the product itself at a few thousand live entries).

    A write only appends a slot (the request index); embedding rows are copied lazily, in one
    gather, at the next fallback, so partitions that never fall back pay almost nothing.
    Dropped entries leave dead slots that a compaction removes once they outnumber the live
    ones. After a purge every entry left is live, so "slot not dropped" is the live test."""

    __slots__ = ("_dead", "_emb", "_matrix", "_pending_dead", "_row_array", "_rows", "_slot")

    def __init__(self, ttl, capacity, refresh_on_hit, emb: np.ndarray):
        super().__init__(ttl, capacity, refresh_on_hit)
        self._emb = emb
        self._rows: list[int] = []  # request index per slot
        self._slot: dict[int, int] = {}  # request index -> slot, live entries only
        self._pending_dead: list[int] = []  # slots dropped since the last fallback
        self._dead = 0
        self._row_array = np.empty(0, dtype=np.int64)  # filled slots' rows, -1 when dropped
        self._matrix = np.empty((0, emb.shape[1]), dtype=np.float32)

    def put(self, key, value, t):
        super().put(key, value, t)
        self._slot[key] = len(self._rows)
        self._rows.append(key)

    def _dropped(self, key):
        self._pending_dead.append(self._slot.pop(key))
        self._dead += 1

    def best_live(self, i: int, t: float, threshold: float) -> tuple[int, float]:
        """The most similar live entry reaching the threshold (ties: smaller index), or
        (-1, nan)."""
        self.purge(t)
        self._sync()
        if 2 * self._dead > len(self._rows):
            self._compact()
        if not self._rows:
            return -1, math.nan
        sims = self._matrix[: len(self._rows)] @ self._emb[i]
        rows = self._row_array
        qualifies = (sims.astype(np.float64) >= threshold) & (rows >= 0)
        if not qualifies.any():
            return -1, math.nan
        best = sims[qualifies].max()
        return int(rows[qualifies & (sims == best)].min()), float(best)

    def _sync(self):
        """Copy new slots' rows and embeddings into the arrays, then mark dropped slots."""
        filled, used = self._row_array.size, len(self._rows)
        if filled < used:
            new_rows = np.array(self._rows[filled:], dtype=np.int64)
            if self._matrix.shape[0] < used:
                grown = np.empty((max(64, 2 * used), self._matrix.shape[1]), np.float32)
                grown[:filled] = self._matrix[:filled]
                self._matrix = grown
            self._matrix[filled:used] = self._emb[new_rows]
            self._row_array = np.concatenate((self._row_array, new_rows))
        if self._pending_dead:
            self._row_array[self._pending_dead] = -1
            self._pending_dead.clear()

    def _compact(self):
        alive = np.flatnonzero(self._row_array >= 0)
        count = alive.size
        self._matrix[:count] = self._matrix[alive]
        self._row_array = self._row_array[alive]
        self._rows = self._row_array.tolist()
        self._slot = dict(zip(self._rows, range(count), strict=True))
        self._dead = 0
