"""Exact-match cache replay: which requests a response cache keyed on the normalised request
would have served, under a TTL and an optional per-scope LRU capacity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.savings.replay import (
    ScopeCache,
    as_times,
    check_capacity,
    check_lengths,
    check_ttl,
    eligible_mask,
    scope_groups,
)

__all__ = ["ExactResult", "exact_replay"]


@dataclass(frozen=True)
class ExactResult:
    """Per request: `hit` (bool) and `source`, the index of the request whose cached response
    is served (-1 on a miss)."""

    hit: np.ndarray
    source: np.ndarray


def exact_replay(
    t,
    scope,
    key,
    eligible,
    *,
    ttl,
    capacity: int | None = None,
    refresh_on_hit: bool = False,
) -> ExactResult:
    """Replay requests (sorted by time `t`) through one exact-match cache per `scope`.

    A request whose `key` has a live entry in its scope is a hit served by that entry's
    source; otherwise it is a miss and writes (key -> its time, itself), replacing an expired
    entry. With `refresh_on_hit` a hit restarts the entry's TTL (sliding expiry); otherwise the
    TTL counts from the original write. Ineligible requests (`eligible` False; None = all
    eligible) neither hit nor write.
    """
    times = as_times(t)
    n = times.size
    scope = np.asarray(scope)
    key = np.asarray(key)
    check_lengths(n, scope=scope, key=key)
    eligible = eligible_mask(eligible, n)
    ttl = check_ttl(ttl)
    capacity = check_capacity(capacity)

    source = np.full(n, -1, dtype=np.int64)
    for rows in scope_groups(scope, np.flatnonzero(eligible)):
        source[rows] = _replay_scope(
            rows.tolist(), times[rows].tolist(), key[rows].tolist(),
            ScopeCache(ttl, capacity, refresh_on_hit),
        )
    return ExactResult(hit=source >= 0, source=source)


def _replay_scope(rows: list, times: list, keys: list, cache: ScopeCache) -> list:
    sources = []
    get, put, append = cache.get, cache.put, sources.append
    for i, ti, ki in zip(rows, times, keys, strict=True):
        served = get(ki, ti)
        if served is None:
            put(ki, i, ti)
            append(-1)
        else:
            append(served)
    return sources
