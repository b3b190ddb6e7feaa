"""Semantic-cache replay: candidate search and threshold sweep.

Quirks protected here: a cosine exactly at the threshold is a hit (GPTCache and Redis compare
with >=) and one float32 step below is not; a semantic cache only stores misses, so a prompt's
nearest neighbours are often earlier *hits* that are not in the cache, and the best live entry
can lie beyond the top-k list (the fallback must find it, or the hit rate is under-counted);
partitions (model x system prompt) never share answers; a request with no text (zero
embedding) neither hits nor seeds the cache; sliding TTLs need an unbounded candidate window.
The random-data tests pin the two-stage replay to a brute-force one that scans every live
entry for every request.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.savings.replay_semantic import semantic_candidates, semantic_replay


def unit(*degrees: float) -> np.ndarray:
    radians = np.radians(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1).astype(np.float32)


def run(times, emb, thresholds, *, partition=None, eligible=None, ttl=None, k=16,
        capacity=None, refresh_on_hit=False, window=None):
    times = np.asarray(times)
    partition = np.zeros(times.size, dtype=np.int64) if partition is None else partition
    candidates = semantic_candidates(
        times, partition, emb, eligible, ttl=ttl if window is None else window, k=k
    )
    return semantic_replay(
        times, partition, emb, eligible, candidates, thresholds, ttl=ttl, capacity=capacity,
        refresh_on_hit=refresh_on_hit,
    )


def test_similarity_equal_to_the_threshold_is_a_hit():
    # cos(entry, query) = 0.5 * 1 + sqrt(0.75) * 0 = 0.5 exactly in float32.
    emb = np.array([[0.5, np.sqrt(0.75)], [1.0, 0.0]], dtype=np.float32)
    just_above = float(np.nextafter(np.float32(0.5), np.float32(1)))
    results = run([0, 1], emb, [just_above, 0.5])
    assert list(results) == [0.5, just_above]
    at = results[0.5]
    assert at.hit.tolist() == [False, True]
    assert at.source.tolist() == [-1, 0]
    assert at.similarity[1] == np.float32(0.5) and math.isnan(at.similarity[0])
    above = results[just_above]
    assert above.hit.tolist() == [False, False]
    assert above.source.tolist() == [-1, -1]


def test_thresholds_come_back_ascending():
    results = run([0, 1], unit(0, 10), [0.99, 0.8, 0.9])
    assert list(results) == [0.8, 0.9, 0.99]
    assert [r.threshold for r in results.values()] == [0.8, 0.9, 0.99]
    assert [r.hit[1] for r in results.values()] == [True, True, False]  # cos 10deg = 0.985


def test_hit_goes_to_the_most_similar_live_entry():
    # Entries at 0 and 40 degrees (cos 40 = 0.77 < 0.8 keeps them apart); the query at 30 is
    # closer to 40 (cos 10) than to 0 (cos 30).
    results = run([0, 1, 2], unit(0, 40, 30), [0.8])
    assert results[0.8].source.tolist() == [-1, -1, 1]


def test_fallback_finds_the_entry_beyond_the_top_k():
    # 1 hits 0 (cos 20 = 0.94). Query 2's only candidate with k=1 is 1 (cos 10), a hit and so
    # not an entry; the list is truncated and still above 0.8, so the exact search over live
    # entries must serve 2 from 0 (cos 30 = 0.866).
    results = run([0, 1, 2], unit(0, 20, 30), [0.8, 0.95], k=1)
    low = results[0.8]
    assert low.source.tolist() == [-1, 0, 0]
    assert low.similarity[2] == pytest.approx(math.cos(math.radians(30)), abs=1e-6)
    assert low.fallbacks == 1
    # At 0.95 request 1 missed, so it is an entry and 2's single candidate serves it directly.
    high = results[0.95]
    assert high.source.tolist() == [-1, -1, 1]
    assert high.fallbacks == 0


def test_no_fallback_when_the_list_tail_is_below_the_threshold():
    # Query 2's top-1 (request 1, cos 60 = 0.5) is below 0.8: nothing beyond it can qualify.
    results = run([0, 1, 2], unit(0, 90, 30), [0.8], k=1)
    assert results[0.8].source.tolist() == [-1, -1, 0]
    assert results[0.8].fallbacks == 0


def test_ttl_age_equal_to_ttl_is_a_miss():
    results = run([0, 9, 19], unit(0, 5, 10), [0.9], ttl=10)
    # 9 hits 0 (age 9); 19 is 19 s after 0 (expired) and 9 is a hit, not an entry.
    assert results[0.9].source.tolist() == [-1, 0, -1]
    results = run([0, 10], unit(0, 5), [0.9], ttl=10)
    assert results[0.9].source.tolist() == [-1, -1]


def test_refresh_on_hit_needs_an_unbounded_window_and_slides_the_ttl():
    times, emb = [0, 8, 16], unit(0, 1, 2)
    with pytest.raises(ValueError, match="ttl=None"):
        run(times, emb, [0.9], ttl=10, refresh_on_hit=True)
    sliding = run(times, emb, [0.9], ttl=10, refresh_on_hit=True, window=math.inf)
    assert sliding[0.9].source.tolist() == [-1, 0, 0]
    fixed = run(times, emb, [0.9], ttl=10)
    assert fixed[0.9].source.tolist() == [-1, 0, -1]


def test_candidate_window_shorter_than_the_replay_ttl_is_refused():
    with pytest.raises(ValueError, match="shorter than the replay"):
        run([0, 1], unit(0, 1), [0.9], ttl=100, window=10)


def test_capacity_evicts_the_least_recently_used_entry():
    # Entries A (0 deg) and B (90 deg); A is hit at t=2, so C (180 deg) evicts B; B' misses.
    emb = unit(0, 90, 1, 180, 91)
    results = run([0, 1, 2, 3, 4], emb, [0.9], capacity=2)
    assert results[0.9].source.tolist() == [-1, -1, 0, -1, -1]
    unlimited = run([0, 1, 2, 3, 4], emb, [0.9])
    assert unlimited[0.9].source.tolist() == [-1, -1, 0, -1, 1]


def test_partitions_never_share_answers():
    partition = np.array([1, 2, 1, 2])
    results = run([0, 1, 2, 3], unit(0, 0, 1, 1), [0.9], partition=partition)
    assert results[0.9].source.tolist() == [-1, -1, 0, 1]


def test_ineligible_and_empty_rows_neither_hit_nor_write():
    emb = unit(0, 0, 0, 0, 0)
    emb[2] = 0  # no text
    eligible = np.array([False, True, True, True, False])
    results = run([0, 1, 2, 3, 4], emb, [0.9], eligible=eligible)
    assert results[0.9].source.tolist() == [-1, -1, -1, 1, -1]
    assert results[0.9].hit.tolist() == [False, False, False, True, False]


def test_unsorted_input_is_refused():
    with pytest.raises(ValueError, match="sorted"):
        semantic_candidates(np.array([1, 0]), np.zeros(2), unit(0, 1), None, ttl=None)


def brute_force_top_k(times, partition, emb, usable, ttl, k):
    sims = emb @ emb.T
    lists = []
    for i in range(times.size):
        window = [
            j for j in range(i)
            if usable[i] and usable[j] and partition[j] == partition[i]
            and times[i] - times[j] < ttl
        ]
        window.sort(key=lambda j: (-float(sims[i, j]), j))
        lists.append((window[:k], len(window) <= k))
    return sims, lists


@pytest.mark.parametrize("ttl", [math.inf, 7.0])
@pytest.mark.parametrize(("block", "column_block"), [(7, 5), (64, 16384)])
def test_candidates_equal_a_brute_force_top_k(ttl, block, column_block):
    # Small blocks merge running top-k lists across column chunks; wide ones take the
    # group-maximum bound (more than 16 * k columns).
    rng = np.random.default_rng(3)
    n = 300
    times = np.sort(rng.integers(0, 60, n)).astype(float)
    partition = rng.integers(0, 2, n)
    # Quarter-integer components: every dot product is exact in float32, so ties are real and
    # the (similarity desc, index asc) order, including at the k-th place, is checked exactly.
    emb = (rng.integers(-2, 3, (n, 3)) / 4).astype(np.float32)
    usable = np.abs(emb).sum(axis=1) > 0
    k = 4
    candidates = semantic_candidates(
        times, partition, emb, None, ttl=ttl, k=k, block=block, column_block=column_block
    )
    sims, expected = brute_force_top_k(times, partition, emb, usable, ttl, k)
    for i, (neighbours, complete) in enumerate(expected):
        lo, hi = candidates.indptr[i], candidates.indptr[i + 1]
        assert candidates.idx[lo:hi].tolist() == neighbours, i
        assert candidates.sim[lo:hi].tolist() == [float(sims[i, j]) for j in neighbours], i
        assert bool(candidates.complete[i]) == complete, i


def brute_force_replay(times, partition, emb, usable, threshold, ttl, capacity, refresh):
    """Reference: every request scans every live entry of its partition."""
    sims = (emb @ emb.T).astype(np.float64)
    caches = {}  # partition -> {entry: [write_time, last_use]}
    sources = []
    for i in range(times.size):
        if not usable[i]:
            sources.append(-1)
            continue
        cache = caches.setdefault(partition[i], {})
        for expired in [j for j, (w, _) in cache.items() if not times[i] - w < ttl]:
            del cache[expired]
        qualifying = [j for j in cache if sims[i, j] >= threshold]
        if qualifying:
            best = min(qualifying, key=lambda j: (-sims[i, j], j))
            cache[best][1] = i
            if refresh:
                cache[best][0] = times[i]
            sources.append(best)
            continue
        if capacity is not None and len(cache) >= capacity:
            del cache[min(cache, key=lambda j: cache[j][1])]
        cache[i] = [times[i], i]
        sources.append(-1)
    return sources


def random_requests(seed, n=300, dim=8, integer=False):
    rng = np.random.default_rng(seed)
    times = np.sort(rng.integers(0, 200, n)).astype(float)
    partition = rng.integers(0, 3, n)
    if integer:
        emb = (rng.integers(-1, 2, (n, 4)) / 2).astype(np.float32)
    else:
        emb = rng.standard_normal((n, dim)).astype(np.float32)
        # Near-duplicates of earlier prompts, the case that sends hits beyond the top-k.
        for i in np.flatnonzero(rng.random(n) < 0.5):
            if i:
                emb[i] = emb[rng.integers(0, i)] + 0.3 * rng.standard_normal(dim)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        emb[rng.random(n) < 0.03] = 0  # no text
    eligible = rng.random(n) > 0.05
    return times, partition, emb.astype(np.float32), eligible


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    ("ttl", "capacity", "refresh"),
    [(math.inf, None, False), (40.0, None, False), (40.0, 5, False), (25.0, 3, True)],
)
def test_replay_equals_brute_force_on_random_data(seed, ttl, capacity, refresh):
    times, partition, emb, eligible = random_requests(seed)
    usable = eligible & (np.abs(emb).sum(axis=1) > 0)
    thresholds = [0.5, 0.7, 0.8, 0.9, 0.95]
    candidates = semantic_candidates(
        times, partition, emb, eligible, ttl=math.inf if refresh else ttl, k=2, block=16,
        column_block=24 if seed % 2 else 16384,
    )
    results = semantic_replay(
        times, partition, emb, eligible, candidates, thresholds, ttl=ttl, capacity=capacity,
        refresh_on_hit=refresh,
    )
    assert sum(result.fallbacks for result in results.values()) > 0  # the path is exercised
    for threshold, result in results.items():
        expected = brute_force_replay(
            times, partition, emb, usable, threshold, ttl, capacity, refresh
        )
        assert result.source.tolist() == expected, threshold
        hit = result.source >= 0
        assert result.hit.tolist() == hit.tolist()
        assert np.isnan(result.similarity[~hit]).all()
        assert (result.similarity[hit].astype(np.float64) >= threshold).all()


@pytest.mark.parametrize("seed", range(3))
def test_replay_equals_brute_force_with_exact_ties(seed):
    """Half-integer components: exact float32 sims, many ties and sims equal to thresholds."""
    times, partition, emb, eligible = random_requests(seed, integer=True)
    usable = eligible & (np.abs(emb).sum(axis=1) > 0)
    thresholds = [0.25, 0.5, 0.75, 1.0]
    for ttl, capacity in [(math.inf, None), (30.0, 2)]:
        candidates = semantic_candidates(
            times, partition, emb, eligible, ttl=ttl, k=2, block=8 if seed else 64,
            column_block=8 if seed else 16384,
        )
        results = semantic_replay(
            times, partition, emb, eligible, candidates, thresholds, ttl=ttl, capacity=capacity
        )
        for threshold, result in results.items():
            expected = brute_force_replay(
                times, partition, emb, usable, threshold, ttl, capacity, False
            )
            assert result.source.tolist() == expected, (ttl, capacity, threshold)
