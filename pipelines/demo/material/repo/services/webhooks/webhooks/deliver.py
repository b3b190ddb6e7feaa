"""Signed webhook delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx

from libs.db import Session
from libs.log import get_logger

from .models import Delivery, Webhook

log = get_logger(__name__)
BACKOFF_S = (10, 60, 300, 1800, 7200, 21600)
MAX_CONSECUTIVE_FAILURES = 100


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(session: Session, webhook: Webhook, event: dict, client: httpx.Client) -> Delivery:
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Acme-Signature": sign(webhook.secret, body),
        "Acme-Event": event["type"],
    }
    attempt = Delivery(webhook_id=webhook.id, event_id=event["id"], attempt=1)
    try:
        response = client.post(webhook.url, content=body, headers=headers, timeout=10)
        attempt.status_code = response.status_code
        attempt.ok = 200 <= response.status_code < 300
    except httpx.HTTPError as exc:
        attempt.ok = False
        attempt.error = str(exc)
    session.add(attempt)
    if attempt.ok:
        webhook.consecutive_failures = 0
    else:
        webhook.consecutive_failures += 1
        if webhook.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
            webhook.paused_at = datetime.now(UTC)
            log.warning("webhook.paused", webhook_id=webhook.id)
    return attempt


def next_retry(attempt: int, now: datetime) -> datetime | None:
    if attempt > len(BACKOFF_S):
        return None
    return now + timedelta(seconds=BACKOFF_S[attempt - 1])
