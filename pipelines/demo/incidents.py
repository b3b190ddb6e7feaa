"""Two incidents in the demo workload, for the spend-anomaly detectors to find (issue 13).

- A retry loop: a support agent re-sends the same 30k-token prompt ("should I retry?") to
  gpt-4o about every 34 s for over an hour, in one session, through LiteLLM (whose spend logs
  carry the key, the session and, while content logging is on, the prompt).
- A leaked key: the growth team's production key, at night three days before the end, spends
  three hours on claude-opus-4-6 with 20k-token uploads, a model that key never used.

Both are built from ordinary single calls (``Generator._special``), so they go through the
same writers, ids and pricing as every other record.
"""

from __future__ import annotations

import copy

LOOP_INTERVAL_US = 34_000_000
LEAK_HOURS = 3


def retry_loop(gen, n: int) -> list:
    """One prompt repeated in one session: min(150, max(20, n // 800)) calls."""
    calls = max(20, min(150, n // 800))
    base = gen._special("retry_loop", ("support", "support-bot"), "gpt-4o", "litellm", "chat",
                        long_input=30_000)
    # Inside the content-logging window, so the records carry the prompt (and its hash).
    start = gen.content_from_us + 2 * 3_600_000_000
    out = []
    for i in range(calls):
        call = copy.copy(base)
        call.t_us = start + i * LOOP_INTERVAL_US
        out.append(call)
    return out


def leaked_key(gen, n: int) -> list:
    """max(30, n // 100) calls spread over LEAK_HOURS, from 01:00 UTC three days before the
    end; each in its own session (a script, not a conversation)."""
    calls = max(30, n // 100)
    start = gen.clock.end_us - 3 * 86_400_000_000 + 3_600_000_000
    step = LEAK_HOURS * 3_600_000_000 // calls
    base = gen._special("leaked_key", ("growth", "lead-enrichment"), "claude-opus-4-6",
                        "litellm", "chat", long_input=20_000)
    out = []
    for i in range(calls):
        call = copy.copy(base)
        call.t_us = start + i * step
        call.session_id = gen.ids.call_id()
        out.append(call)
    return out
