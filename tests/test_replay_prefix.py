"""Provider prompt-cache (prefix) replay over hand-built prefix chains.

Quirks protected here: a prompt below the model's minimum cacheable length is neither read nor
written, silently, and billed in full (Anthropic 1024/2048/4096 by model, OpenAI 1024);
Anthropic refreshes an entry's 5-minute TTL on every hit, so a steadily reused prefix never
expires, while an entry aged exactly its TTL is gone; OpenAI reports `cached_tokens` in
128-token steps past the first 1024 (1023 -> 0, 1024 -> 1024, 1279 -> 1152); the read is the
*deepest* cached level and writes only happen at breakpoints deeper than it, so
`write_tokens` is the increment beyond the read, never negative; a 1-hour entry keeps its TTL
when read by a request that would write 5-minute entries; caches never cross API keys.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.savings.replay_prefix import prefix_replay

SYSTEM = (11, 2000, True)  # (prefix hash, cumulative tokens, breakpoint)


def chains(*requests):
    """CSR level arrays from per-request lists of (hash, cumulative tokens, breakpoint)."""
    lengths = [len(levels) for levels in requests]
    indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    flat = [level for levels in requests for level in levels]
    return (
        indptr,
        np.array([level[0] for level in flat], dtype=np.uint64),
        np.array([level[1] for level in flat], dtype=np.int64),
        np.array([level[2] for level in flat], dtype=bool),
    )


def replay(times, requests, *, scope=None, ttl=300, min_tokens=1024, **options):
    times = np.asarray(times)
    scope = np.zeros(times.size, dtype=np.int64) if scope is None else np.asarray(scope)
    return prefix_replay(
        times, scope, *chains(*requests), ttl=ttl, min_tokens=min_tokens, **options
    )


def conversation(*turns):
    """System prompt then cumulative turns; every turn is a breakpoint (end of prompt)."""
    return [SYSTEM, *turns]


def test_first_request_writes_every_breakpoint_then_the_next_reads_the_deepest():
    first = conversation((21, 2500, False), (22, 3000, True))
    second = conversation((21, 2500, False), (22, 3000, True), (23, 3600, True))
    result = replay([0, 60], [first, second])
    assert result.read_level.tolist() == [-1, 2]
    assert result.read_tokens.tolist() == [0, 3000]
    assert result.write_level.tolist() == [2, 3]
    assert result.write_tokens.tolist() == [3000, 600]
    assert result.read_hash.tolist() == [0, 22]
    assert result.write_hash.tolist() == [22, 23]
    assert result.breakpoint_level.tolist() == [2, 3]
    assert result.breakpoint_hash.tolist() == [22, 23]


def test_below_the_minimum_nothing_is_read_or_written():
    short = [(31, 600, True), (32, 1000, True)]
    result = replay([0, 1, 2], [short, short, short])
    assert result.read_level.tolist() == [-1, -1, -1]
    assert result.read_tokens.tolist() == [0, 0, 0]
    assert result.write_tokens.tolist() == [0, 0, 0]
    assert result.write_level.tolist() == [-1, -1, -1]
    # The same chain with a lower minimum (older Sonnet 1024 vs Haiku 2048 style) caches.
    assert replay([0, 1], [short, short], min_tokens=512).read_tokens.tolist() == [0, 1000]


def test_only_levels_reaching_the_minimum_are_written_or_read():
    chain = [(41, 800, True), (42, 1500, True)]
    result = replay([0, 1], [chain, [(41, 800, True)]])
    assert result.write_level.tolist() == [1, -1]
    assert result.read_level.tolist() == [-1, -1]


def test_age_equal_to_ttl_is_expired():
    chain = [SYSTEM]
    assert replay([0, 299], [chain, chain]).read_tokens.tolist() == [0, 2000]
    expired = replay([0, 300], [chain, chain])
    assert expired.read_tokens.tolist() == [0, 0]
    assert expired.write_tokens.tolist() == [2000, 2000]


def test_hits_refresh_the_ttl_unless_disabled():
    chain = [SYSTEM]
    times = [0, 200, 450]
    refreshed = replay(times, [chain] * 3)
    assert refreshed.read_tokens.tolist() == [0, 2000, 2000]
    fixed = replay(times, [chain] * 3, refresh_on_hit=False)
    assert fixed.read_tokens.tolist() == [0, 2000, 0]
    assert fixed.write_tokens.tolist() == [2000, 0, 2000]


def test_openai_increment_rounding():
    chains_ = [[(51, 1023, True)], [(52, 1024, True)], [(53, 1279, True)], [(54, 1280, True)]]
    requests = [chain for chain in chains_ for _ in range(2)]
    result = replay(
        np.arange(8), requests, scope=np.repeat(np.arange(4), 2), min_tokens=0,
        increment=(1024, 128),
    )
    assert result.read_tokens.tolist() == [0, 0, 0, 1024, 0, 1152, 0, 1280]
    # A read rounded to 0 is still a read of that level; nothing deeper is left to write.
    assert result.read_level.tolist() == [-1, 0, -1, 0, -1, 0, -1, 0]
    assert result.write_tokens.tolist() == [1023, 0, 1024, 0, 1279, 0, 1280, 0]


def test_deepest_live_level_is_read():
    # Level 0 (tools+system) and level 2 are both cached; the deeper one wins.
    first = [SYSTEM, (61, 3000, False), (62, 4000, True)]
    second = [SYSTEM, (61, 3000, False), (62, 4000, True), (63, 4500, False)]
    result = replay([0, 10], [first, second])
    assert result.read_level.tolist() == [-1, 2]
    assert result.read_tokens.tolist() == [0, 4000]
    # No breakpoint deeper than the read: nothing written.
    assert result.write_tokens.tolist() == [4000, 0]


def test_writes_every_breakpoint_beyond_the_read_but_no_other_level():
    first = [SYSTEM]
    second = [SYSTEM, (71, 2600, True), (72, 3100, False), (73, 3900, True)]
    third = [SYSTEM, (71, 2600, True), (72, 3100, False), (74, 5000, True)]
    result = replay([0, 10, 20], [first, second, third])
    assert result.read_level.tolist() == [-1, 0, 1]
    assert result.read_tokens.tolist() == [0, 2000, 2600]
    assert result.write_level.tolist() == [0, 3, 3]
    assert result.write_tokens.tolist() == [2000, 1900, 2400]
    # The third request shares level 2 (hash 72) but it was never a breakpoint: read level 1.
    assert result.read_hash.tolist() == [0, 11, 71]


def test_a_cached_level_is_read_even_where_the_reader_has_no_breakpoint():
    # Anthropic looks back up to 20 blocks before a breakpoint for an earlier cached prefix.
    writer = [SYSTEM, (81, 2500, True)]
    reader = [(11, 2000, False), (81, 2500, False), (82, 2700, True)]
    result = replay([0, 1], [writer, reader])
    assert result.read_level.tolist() == [-1, 1]
    assert result.write_tokens.tolist() == [2500, 200]


def test_per_request_ttl_and_minimum():
    chain = [SYSTEM]
    # Written with a 1-hour TTL, read at 1000 s by a 5-minute request: still alive.
    result = replay([0, 1000, 1400], [chain] * 3, ttl=np.array([3600.0, 300.0, 300.0]))
    assert result.read_tokens.tolist() == [0, 2000, 2000]
    # ... and the hit refreshed it for its own hour, not the reader's 5 minutes.
    # Conversely a 5-minute entry read by a 1-hour request stays a 5-minute entry.
    result = replay([0, 200, 550], [chain] * 3, ttl=np.array([300.0, 3600.0, 3600.0]))
    assert result.read_tokens.tolist() == [0, 2000, 0]
    # Per-request minimum: a 4096-minimum model neither reads nor writes the 2000-token chain.
    result = replay([0, 1, 2], [chain] * 3, min_tokens=np.array([1024, 4096, 1024]))
    assert result.read_tokens.tolist() == [0, 0, 2000]
    assert result.write_tokens.tolist() == [2000, 0, 0]


def test_no_expiry():
    result = replay([0, 10**9], [[SYSTEM]] * 2, ttl=None)
    assert result.read_tokens.tolist() == [0, 2000]


def test_scopes_are_separate_caches():
    result = replay([0, 1, 2, 3], [[SYSTEM]] * 4, scope=[1, 2, 1, 2])
    assert result.read_tokens.tolist() == [0, 0, 2000, 2000]


def test_ineligible_requests_neither_read_nor_write():
    result = replay([0, 1, 2], [[SYSTEM]] * 3, eligible=np.array([False, True, True]))
    assert result.read_tokens.tolist() == [0, 0, 2000]
    assert result.write_tokens.tolist() == [0, 2000, 0]


def test_requests_without_levels():
    result = replay([0, 1, 2], [[SYSTEM], [], [SYSTEM]])
    assert result.read_level.tolist() == [-1, -1, 0]
    assert result.breakpoint_level.tolist() == [0, -1, 0]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="sorted"):
        replay([5, 1], [[SYSTEM], [SYSTEM]])
    with pytest.raises(ValueError, match="cumulative"):
        replay([0], [[(1, 2000, True), (2, 1500, True)]])
    with pytest.raises(ValueError, match="n \\+ 1"):
        prefix_replay(np.arange(2), np.zeros(2), *chains([SYSTEM]), ttl=300, min_tokens=0)
    with pytest.raises(ValueError, match="ttl"):
        replay([0], [[SYSTEM]], ttl=0)


@pytest.mark.parametrize("seed", range(5))
def test_read_and_write_tokens_stay_within_the_prompt(seed):
    """Whatever the history, read + write never exceed the prompt and neither is negative, so
    'saved' (reads priced below base) can never go negative for a request that wrote nothing."""
    rng = np.random.default_rng(seed)
    requests = []
    for _ in range(300):
        depth = int(rng.integers(0, 7))
        tokens = np.cumsum(rng.integers(0, 900, depth)) + int(rng.integers(0, 1500))
        shared = int(rng.integers(0, depth + 1))
        hashes = [int(rng.integers(0, 4)) * 100 + level if level < shared
                  else int(rng.integers(10**6, 10**9)) for level in range(depth)]
        requests.append([(h, int(tok), bool(rng.random() < 0.5))
                         for h, tok in zip(hashes, tokens, strict=True)])
    times = np.sort(rng.integers(0, 3000, len(requests)))
    for increment in (None, (1024, 128)):
        result = replay(times, requests, scope=rng.integers(0, 3, len(requests)), ttl=300,
                        min_tokens=1024, increment=increment)
        prompt = np.array([levels[-1][1] if levels else 0 for levels in requests])
        assert (result.read_tokens >= 0).all() and (result.write_tokens >= 0).all()
        assert (result.read_tokens + result.write_tokens <= prompt).all()
        assert ((result.read_level >= 0) | (result.read_tokens == 0)).all()
        assert ((result.write_level >= 0) | (result.write_tokens == 0)).all()
        assert (result.write_level > result.read_level)[result.write_level >= 0].all()
