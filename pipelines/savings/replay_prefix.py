"""Provider prompt-cache (prefix) replay: how many input tokens Anthropic-, OpenAI- or
Gemini-style prefix caching would have read from and written to cache.

Each request carries a cumulative prefix chain over its prompt blocks (tools, system, message
1, message 2, ...): level L's hash identifies the prompt up to and including block L, and its
token count is cumulative. Matching is at block (message) granularity: a cached prefix only
matches when whole blocks are byte-identical. OpenAI matches the longest common prefix at token
level (in 128-token steps), so for OpenAI this replay under-counts reads whose prompts diverge
inside a block.

Per scope (provider, model, API key or org) a dict maps prefix hash -> (last touch time, TTL).
The TTL belongs to the entry, set by the request that wrote it: Anthropic's 5-minute and 1-hour
entries are chosen per breakpoint, and a hit refreshes an entry for its own TTL, whatever TTL
the reading request would have written with.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

import numpy as np

from pipelines.savings.replay import (
    as_times,
    check_lengths,
    check_ttl,
    concat_ranges,
    eligible_mask,
    scope_groups,
)

__all__ = ["PrefixResult", "prefix_replay"]


@dataclass(frozen=True)
class PrefixResult:
    """Per request. Levels are positions in the request's own chain (0 = first block), -1 for
    none. `read_tokens`: cached tokens read (rounded down per `increment`); `write_tokens`:
    tokens written to cache beyond the read; `read_hash`/`write_hash`: hashes of the read level
    and of the deepest written breakpoint, `breakpoint_hash` the deepest breakpoint's whether
    written or not (0 where the matching level is -1), so callers can group by prefix."""

    read_level: np.ndarray
    read_tokens: np.ndarray
    read_hash: np.ndarray
    write_level: np.ndarray
    write_tokens: np.ndarray
    write_hash: np.ndarray
    breakpoint_level: np.ndarray
    breakpoint_hash: np.ndarray


def prefix_replay(
    t,
    scope,
    level_indptr,
    level_hash,
    level_tokens,
    level_is_breakpoint,
    *,
    ttl,
    min_tokens,
    increment: tuple[int, int] | None = None,
    refresh_on_hit: bool = True,
    eligible=None,
) -> PrefixResult:
    """Replay prompt-prefix caching per scope over requests sorted by time `t`.

    Request i reads the deepest level of its chain whose hash is alive in its scope's cache and
    whose cumulative tokens reach `min_tokens` (below the minimum nothing is cached, silently,
    as Anthropic and OpenAI do), touching that entry when `refresh_on_hit` (Anthropic refreshes
    the TTL on every hit). It then writes every breakpoint level deeper than the read that
    reaches `min_tokens`; `write_tokens` is the deepest written level's cumulative tokens minus
    `read_tokens`.

    `ttl` (seconds; None or math.inf = no expiry; the TTL of the entries a request writes) and
    `min_tokens` may be scalars or per-request arrays.
    `increment=(minimum, step)` rounds read tokens down as OpenAI reports `cached_tokens`:
    below `minimum` -> 0, else minimum + floor((tokens - minimum) / step) * step.
    """
    times = as_times(t)
    n = times.size
    scope = np.asarray(scope)
    check_lengths(n, scope=scope)
    level_indptr, level_hash, level_tokens, level_is_breakpoint = _check_levels(
        n, level_indptr, level_hash, level_tokens, level_is_breakpoint
    )
    ttls = _ttls(ttl, n)
    minimums = _minimums(min_tokens, n)
    rounding = _check_increment(increment)
    usable = eligible_mask(eligible, n)

    read_level = np.full(n, -1, dtype=np.int64)
    read_tokens = np.zeros(n, dtype=np.int64)
    write_level = np.full(n, -1, dtype=np.int64)
    write_tokens = np.zeros(n, dtype=np.int64)
    for rows in scope_groups(scope, np.flatnonzero(usable)):
        starts = level_indptr[rows]
        lengths = level_indptr[rows + 1] - starts
        levels = concat_ranges(starts, lengths)
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        read, read_tok, write, write_tok = _replay_scope(
            times[rows].tolist(),
            offsets.tolist(),
            level_hash[levels].tolist(),
            level_tokens[levels].tolist(),
            level_is_breakpoint[levels].tolist(),
            ttls[rows].tolist() if isinstance(ttls, np.ndarray) else repeat(ttls),
            minimums[rows].tolist() if isinstance(minimums, np.ndarray) else repeat(minimums),
            rounding,
            refresh_on_hit,
        )
        read_level[rows] = read
        read_tokens[rows] = read_tok
        write_level[rows] = write
        write_tokens[rows] = write_tok

    breakpoint_level = _deepest_breakpoint(level_indptr, level_is_breakpoint)
    return PrefixResult(
        read_level=read_level,
        read_tokens=read_tokens,
        read_hash=_hash_at(level_hash, level_indptr, read_level),
        write_level=write_level,
        write_tokens=write_tokens,
        write_hash=_hash_at(level_hash, level_indptr, write_level),
        breakpoint_level=breakpoint_level,
        breakpoint_hash=_hash_at(level_hash, level_indptr, breakpoint_level),
    )


def _replay_scope(times, offsets, hashes, tokens, breakpoints, ttls, minimums, rounding, refresh):
    """One scope's loop; level indices are local to the scope's concatenated chains."""
    cache: dict = {}
    get = cache.get
    read_level, read_tokens, write_level, write_tokens = [], [], [], []
    for r, (ti, ttl, minimum) in enumerate(zip(times, ttls, minimums, strict=False)):
        lo, hi = offsets[r], offsets[r + 1]
        read = -1
        level = hi - 1
        # Cumulative tokens never decrease along a chain: once below the minimum, all
        # shallower levels are too.
        while level >= lo and tokens[level] >= minimum:
            entry = get(hashes[level])
            if entry is not None and ti - entry[0] < entry[1]:
                read = level
                break
            level -= 1
        read_tok = 0
        if read >= 0:
            read_tok = tokens[read]
            if rounding is not None:
                read_tok = _round_down(read_tok, *rounding)
            if refresh:
                cache[hashes[read]] = (ti, entry[1])
        written = -1
        for level in range(read + 1 if read >= 0 else lo, hi):
            if breakpoints[level] and tokens[level] >= minimum:
                cache[hashes[level]] = (ti, ttl)
                written = level
        read_level.append(read - lo if read >= 0 else -1)
        read_tokens.append(read_tok)
        write_level.append(written - lo if written >= 0 else -1)
        write_tokens.append(tokens[written] - read_tok if written >= 0 else 0)
    return read_level, read_tokens, write_level, write_tokens


def _round_down(tokens: int, minimum: int, step: int) -> int:
    if tokens < minimum:
        return 0
    return minimum + (tokens - minimum) // step * step


def _check_levels(n, level_indptr, level_hash, level_tokens, level_is_breakpoint):
    indptr = np.asarray(level_indptr, dtype=np.int64)
    hashes = np.asarray(level_hash)
    tokens = np.asarray(level_tokens, dtype=np.int64)
    breakpoints = np.asarray(level_is_breakpoint, dtype=bool)
    if indptr.shape != (n + 1,):
        raise ValueError(f"level_indptr must have n + 1 = {n + 1} entries, got {indptr.shape}")
    if indptr[0] != 0 or (np.diff(indptr) < 0).any():
        raise ValueError("level_indptr must start at 0 and never decrease")
    total = int(indptr[-1])
    for name, array in (("level_hash", hashes), ("level_tokens", tokens),
                        ("level_is_breakpoint", breakpoints)):
        if array.shape != (total,):
            raise ValueError(f"{name} must have level_indptr[-1] = {total} entries, "
                             f"got {array.shape}")
    if (tokens < 0).any():
        raise ValueError("level_tokens must be >= 0")
    if total > 1:
        decreasing = np.flatnonzero(tokens[1:] < tokens[:-1]) + 1
        chain_start = np.zeros(total + 1, dtype=bool)
        chain_start[indptr[:-1]] = True
        decreasing = decreasing[~chain_start[decreasing]]
        if decreasing.size:
            raise ValueError(
                "level_tokens must be cumulative (non-decreasing within a request); first "
                f"violation at level {int(decreasing[0])}"
            )
    return indptr, hashes, tokens, breakpoints


def _ttls(ttl, n: int):
    """A scalar TTL stays a Python float (repeated in the loop); an array is one per request
    (math.inf = no expiry)."""
    if np.ndim(ttl) == 0:
        return check_ttl(ttl)
    values = np.asarray(ttl, dtype=np.float64)
    check_lengths(n, ttl=values)
    if not (values > 0).all():
        raise ValueError("ttl must be > 0 seconds for every request (math.inf = no expiry)")
    return values


def _minimums(min_tokens, n: int):
    if np.ndim(min_tokens) == 0:
        if int(min_tokens) != min_tokens or min_tokens < 0:
            raise ValueError(f"min_tokens must be a whole number >= 0, got {min_tokens!r}")
        return int(min_tokens)
    values = np.asarray(min_tokens, dtype=np.int64)
    check_lengths(n, min_tokens=values)
    if (values < 0).any():
        raise ValueError("min_tokens must be >= 0 for every request")
    return values


def _check_increment(increment):
    if increment is None:
        return None
    minimum, step = (int(part) for part in increment)
    if minimum < 0 or step < 1:
        raise ValueError(f"increment must be (minimum >= 0, step >= 1), got {increment!r}")
    return minimum, step


def _deepest_breakpoint(indptr: np.ndarray, breakpoints: np.ndarray) -> np.ndarray:
    """Per request, the position of its deepest breakpoint level, -1 if it has none."""
    n = indptr.size - 1
    deepest = np.full(n, -1, dtype=np.int64)
    nonempty = np.flatnonzero(indptr[1:] > indptr[:-1])
    if nonempty.size:
        marked = np.where(breakpoints, np.arange(breakpoints.size), -1)
        found = np.maximum.reduceat(marked, indptr[nonempty])
        deepest[nonempty] = np.where(found >= 0, found - indptr[nonempty], -1)
    return deepest


def _hash_at(hashes: np.ndarray, indptr: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The hash at each request's level (0 where the level is -1)."""
    out = np.zeros(level.size, dtype=hashes.dtype)
    has = np.flatnonzero(level >= 0)
    out[has] = hashes[indptr[has] + level[has]]
    return out
