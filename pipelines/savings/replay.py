"""Shared contract of the cache replays: input checks, TTL and capacity conventions.

The engines (`replay_exact`, `replay_semantic`, `replay_prefix`) are pure functions over
parallel numpy arrays of n requests already sorted by time; the caller reads them from DuckDB
and turns results back into tables. Conventions common to all of them:

* an entry written or touched at time w is alive at time t iff ``t - w < ttl`` (an age equal to
  the TTL is expired); ``ttl=None`` or ``math.inf`` means no expiry;
* ``capacity`` is the maximum number of live entries per scope/partition, evicting the least
  recently *used* entry (a hit is a use); expired entries never count against it;
* ineligible requests neither hit nor write;
* scopes are independent caches, so each engine replays one scope at a time (a stable sort by
  scope keeps time order inside it), which keeps the per-request loop on plain Python lists.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable, Iterator

import numpy as np

__all__ = [
    "ScopeCache",
    "as_times",
    "check_capacity",
    "check_lengths",
    "check_ttl",
    "concat_ranges",
    "eligible_mask",
    "scope_groups",
]


def as_times(t) -> np.ndarray:
    """The request times as a 1-D numeric array, refusing unsorted or NaN input: every replay
    walks time forward, so a mis-sorted input would silently produce wrong hits."""
    times = np.asarray(t)
    if times.ndim != 1:
        raise ValueError(f"t must be 1-D, got shape {times.shape}")
    if times.dtype.kind not in "iuf":
        raise ValueError(f"t must be numeric seconds, got dtype {times.dtype}")
    if times.dtype.kind == "f" and np.isnan(times).any():
        raise ValueError("t contains NaN")
    if times.size > 1:
        backwards = np.flatnonzero(times[1:] < times[:-1])
        if backwards.size:
            first = int(backwards[0])
            raise ValueError(
                f"t must be sorted non-decreasing: t[{first + 1}]={times[first + 1]!r} < "
                f"t[{first}]={times[first]!r} ({backwards.size} inversions); sort by time first"
            )
    return times


def check_lengths(n: int, **arrays) -> None:
    """Parallel arrays must all describe the same n requests."""
    for name, array in arrays.items():
        length = len(array)
        if length != n:
            raise ValueError(f"{name} has length {length}, expected {n} (one per request)")


def check_ttl(ttl) -> float:
    """A scalar TTL in seconds; None means no expiry (math.inf)."""
    if ttl is None:
        return math.inf
    value = float(ttl)
    if not value > 0:
        raise ValueError(f"ttl must be > 0 seconds or None, got {ttl!r}")
    return value


def check_capacity(capacity) -> int | None:
    if capacity is None:
        return None
    if isinstance(capacity, bool) or int(capacity) != capacity or capacity < 1:
        raise ValueError(f"capacity must be a positive integer or None, got {capacity!r}")
    return int(capacity)


def eligible_mask(eligible, n: int) -> np.ndarray:
    """Eligibility as a bool array; None means every request is eligible."""
    if eligible is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(eligible)
    check_lengths(n, eligible=mask)
    return mask.astype(bool, copy=False)


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of arange(start, start + length) for each pair, vectorised (to gather
    a group of requests' CSR slices in one indexing operation)."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total)


def scope_groups(scope: np.ndarray, rows: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """The request indices of each scope, ascending (so still in time order). `rows` restricts
    the grouping to those indices (which must be ascending)."""
    scope = np.asarray(scope)
    if rows is None:
        rows = np.arange(scope.size, dtype=np.int64)
    if rows.size == 0:
        return
    keys = scope[rows]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [rows.size]))
    grouped = rows[order]
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        yield grouped[start:end]


class ScopeCache:
    """One scope's cache of entries under the TTL and LRU conventions above.

    Entries sit in an OrderedDict in write/touch order, which is also expiry order because time
    only moves forward: purging expired entries is popping from the front. Without
    refresh_on_hit, use order (LRU) differs from write order (a hit does not move the write
    time), so a second OrderedDict tracks use; with refresh_on_hit both orders coincide.
    Expired entries are dropped lazily, but always before a live entry is evicted, so the
    results are as if they had been removed on time.
    """

    __slots__ = ("_entries", "_lru", "capacity", "refresh_on_hit", "ttl")

    def __init__(self, ttl: float, capacity: int | None, refresh_on_hit: bool):
        self.ttl = ttl
        self.capacity = capacity
        self.refresh_on_hit = refresh_on_hit
        self._entries: OrderedDict[Hashable, list] = OrderedDict()
        self._lru: OrderedDict[Hashable, None] | None = (
            OrderedDict() if capacity is not None and not refresh_on_hit else None
        )

    def get(self, key: Hashable, t: float):
        """The value of a live entry, counted as a use (and refreshed when configured); None
        when absent or expired."""
        entry = self._entries.get(key)
        if entry is None or not t - entry[0] < self.ttl:
            return None
        self.use(key, t)
        return entry[1]

    def is_live(self, key: Hashable, t: float) -> bool:
        entry = self._entries.get(key)
        return entry is not None and t - entry[0] < self.ttl

    def use(self, key: Hashable, t: float) -> None:
        """Record a hit on a live entry: it becomes most recently used."""
        if self.refresh_on_hit:
            self._entries[key][0] = t
            self._entries.move_to_end(key)
        elif self._lru is not None:
            self._lru.move_to_end(key)

    def put(self, key: Hashable, value, t: float) -> None:
        """Write an entry at time t, replacing an expired one under the same key; at capacity,
        expired entries go first, then the least recently used live one."""
        entries, lru = self._entries, self._lru
        if key in entries:
            del entries[key]
            if lru is not None:
                del lru[key]
            self._dropped(key)
        if self.capacity is not None:
            self.purge(t)
            if len(entries) >= self.capacity:
                if lru is not None:
                    victim, _ = lru.popitem(last=False)
                    del entries[victim]
                else:
                    victim, _ = entries.popitem(last=False)
                self._dropped(victim)
        entries[key] = [t, value]
        if lru is not None:
            lru[key] = None

    def purge(self, t: float) -> None:
        """Drop every expired entry (they are at the front, see the class docstring)."""
        entries, lru, ttl = self._entries, self._lru, self.ttl
        while entries:
            key, entry = next(iter(entries.items()))
            if t - entry[0] < ttl:
                return
            del entries[key]
            if lru is not None:
                del lru[key]
            self._dropped(key)

    def _dropped(self, key: Hashable) -> None:
        """Called for every entry leaving the cache (replaced, evicted or purged), for
        subclasses that mirror the entries elsewhere."""
