"""Exact-match cache replay over hand-built request sequences.

Quirks protected here: a response cached exactly `ttl` seconds ago is already gone (Redis-style
expiry: age == TTL is a miss); without a sliding TTL a hit does not extend an entry's life;
an LRU cache protects an entry that was just *hit*, not only one just written; expired entries
are dropped before any live entry is evicted (so a stale entry never costs a live one its
place); caches never leak across scopes (two apps sending the same prompt); requests excluded
from caching (streaming, temperature > 0) neither hit nor seed the cache; unsorted input is
refused rather than silently mis-replayed.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from pipelines.savings.replay_exact import exact_replay


def replay(times, keys, *, scopes=None, eligible=None, **options):
    n = len(times)
    scopes = [0] * n if scopes is None else scopes
    result = exact_replay(
        np.asarray(times), np.asarray(scopes), np.asarray(keys), eligible, **options
    )
    assert result.hit.tolist() == (result.source >= 0).tolist()
    return result.source.tolist()


def test_age_equal_to_ttl_is_a_miss():
    assert replay([0, 9, 10], [7, 7, 7], ttl=10) == [-1, 0, -1]
    assert replay([0.0, 9.999, 10.0], [7, 7, 7], ttl=10.0) == [-1, 0, -1]


def test_refresh_on_hit_slides_the_ttl():
    times, keys = [0, 6, 12, 23], [1, 1, 1, 1]
    # Fixed TTL: the entry written at 0 is gone at 12; its rewrite at 12 is gone at 23.
    assert replay(times, keys, ttl=10) == [-1, 0, -1, -1]
    # Sliding: touched at 6 and 12, so alive at 12 (age 6) but not at 23 (age 11).
    assert replay(times, keys, ttl=10, refresh_on_hit=True) == [-1, 0, 0, -1]


def test_expired_entry_is_replaced_by_the_miss():
    # The miss at 10 rewrites the key with source 2; the request at 15 is served by it.
    assert replay([0, 5, 10, 15], [3, 3, 3, 3], ttl=10) == [-1, 0, -1, 2]


def test_no_expiry():
    assert replay([0, 10**9], [5, 5], ttl=None) == [-1, 0]
    assert replay([0, 10**9], [5, 5], ttl=math.inf) == [-1, 0]


def test_lru_eviction_a_hit_protects_the_entry():
    # A@0 B@1 A-hit@2 C@3 (evicts B, the least recently used) A-hit@4 B@5 (evicts C) C@6.
    times = [0, 1, 2, 3, 4, 5, 6]
    keys = ["A", "B", "A", "C", "A", "B", "C"]
    keys = [ord(key) for key in keys]
    assert replay(times, keys, ttl=None, capacity=2) == [-1, -1, 0, -1, 0, -1, -1]
    # The same hits without a capacity: every repeat is served.
    assert replay(times, keys, ttl=None) == [-1, -1, 0, -1, 0, 1, 3]


def test_expired_entries_are_evicted_before_live_ones():
    # A@0 B@5 A-hit@8 leaves LRU order (B, A) but A expires at 10, B at 15. C@11 must evict
    # the expired A, not the least recently used live B, so B@12 is still a hit.
    times, keys = [0, 5, 8, 11, 12], [1, 2, 1, 3, 2]
    assert replay(times, keys, ttl=10, capacity=2) == [-1, -1, 0, -1, 1]


def test_expired_entries_do_not_fill_the_capacity():
    # Capacity 1: A expires before B is written, so B does not displace anything live and A's
    # rewrite at 30 evicts B (the only live entry), then B misses again.
    times, keys = [0, 20, 21, 30, 31], [1, 2, 2, 1, 2]
    assert replay(times, keys, ttl=10, capacity=1) == [-1, -1, 1, -1, -1]


def test_capacity_is_per_scope():
    # Capacity 1 per scope: scope 2's writes never evict scope 1's entry.
    times = [0, 1, 2, 3]
    assert replay(times, [1, 2, 3, 1], scopes=[1, 2, 2, 1], ttl=None, capacity=1) == [
        -1, -1, -1, 0,
    ]


def test_same_key_in_two_scopes_never_hits_across():
    assert replay([0, 1, 2, 3], [7, 7, 7, 7], scopes=[1, 2, 1, 2], ttl=None) == [-1, -1, 0, 1]


def test_ineligible_requests_neither_hit_nor_write():
    eligible = np.array([False, True, False, True])
    assert replay([0, 1, 2, 3], [9, 9, 9, 9], eligible=eligible, ttl=None) == [-1, -1, -1, 1]


def test_uint64_hash_keys():
    keys = np.array([2**64 - 1, 2**63, 2**64 - 1], dtype=np.uint64)
    assert replay([0, 1, 2], keys, ttl=None) == [-1, -1, 0]


def test_unsorted_times_are_refused():
    with pytest.raises(ValueError, match="sorted"):
        replay([0, 5, 3], [1, 1, 1], ttl=10)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="key has length 2"):
        exact_replay(np.arange(3), np.zeros(3), np.zeros(2), None, ttl=10)


def test_bad_ttl_and_capacity_are_refused():
    with pytest.raises(ValueError, match="ttl"):
        replay([0], [1], ttl=0)
    with pytest.raises(ValueError, match="capacity"):
        replay([0], [1], ttl=10, capacity=0)


def naive_replay(times, scopes, keys, eligible, ttl, capacity, refresh):
    """Reference: scan every entry on every request (O(n^2)); entries removed the moment they
    expire, eviction by smallest last-use time."""
    entries = {}  # (scope, key) -> [write_time, source, last_use]
    sources = []
    for i, (ti, scope, key) in enumerate(zip(times, scopes, keys, strict=True)):
        for cache_key in [ck for ck, e in entries.items() if not ti - e[0] < ttl]:
            del entries[cache_key]
        if not eligible[i]:
            sources.append(-1)
            continue
        entry = entries.get((scope, key))
        if entry is not None:
            entry[2] = i
            if refresh:
                entry[0] = ti
            sources.append(entry[1])
            continue
        in_scope = [ck for ck in entries if ck[0] == scope]
        if capacity is not None and len(in_scope) >= capacity:
            del entries[min(in_scope, key=lambda ck: entries[ck][2])]
        entries[(scope, key)] = [ti, i, i]
        sources.append(-1)
    return sources


@pytest.mark.parametrize("seed", range(6))
def test_matches_a_naive_reference_on_random_sequences(seed):
    rng = random.Random(seed)
    n = 400
    times = sorted(rng.choice(range(0, 600, 3)) for _ in range(n))  # many equal times
    scopes = [rng.randrange(3) for _ in range(n)]
    keys = [rng.randrange(12) for _ in range(n)]
    eligible = [rng.random() > 0.1 for _ in range(n)]
    for ttl in (15, 60, math.inf):
        for capacity in (None, 1, 3):
            for refresh in (False, True):
                expected = naive_replay(times, scopes, keys, eligible, ttl, capacity, refresh)
                got = replay(
                    times, keys, scopes=scopes, eligible=np.array(eligible), ttl=ttl,
                    capacity=capacity, refresh_on_hit=refresh,
                )
                assert got == expected, (ttl, capacity, refresh)
