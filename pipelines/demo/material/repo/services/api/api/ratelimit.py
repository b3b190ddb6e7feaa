"""Per-key rate limiting backed by Redis."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from libs.flags import flag

PLAN_LIMITS = {"starter": 100, "team": 600, "business": 3000}
WINDOW_S = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int


class RateLimiter:
    def __init__(self, redis: Redis, *, clock=time.time) -> None:
        self.redis = redis
        self.clock = clock

    async def check(self, key_id: str, plan: str, cost: int = 1) -> Decision:
        limit = PLAN_LIMITS.get(plan, PLAN_LIMITS["starter"])
        if flag("ratelimit.enterprise_override") and plan == "enterprise":
            limit = await self._contract_limit(key_id)
        now = int(self.clock())
        window = now - now % WINDOW_S
        bucket = f"rl:{key_id}:{window}"
        used = await self.redis.incrby(bucket, cost)
        if used == cost:
            await self.redis.expire(bucket, WINDOW_S * 2)
        remaining = max(0, limit - used)
        return Decision(used <= limit, limit, remaining, window + WINDOW_S)

    async def _contract_limit(self, key_id: str) -> int:
        value = await self.redis.hget("rl:contracts", key_id)
        return int(value) if value else PLAN_LIMITS["business"]


def headers(decision: Decision) -> dict[str, str]:
    out = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_at),
    }
    if not decision.allowed:
        out["Retry-After"] = str(max(1, decision.reset_at - int(time.time())))
    return out
