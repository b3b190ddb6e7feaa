"""Browser sessions and lockout."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from libs.db import Session
from libs.log import get_logger

from .models import LoginAttempt, User, UserSession

log = get_logger(__name__)
MAX_FAILURES = 10
LOCKOUT = timedelta(minutes=30)
SESSION_TTL = timedelta(days=14)


def is_locked(session: Session, user: User, now: datetime) -> bool:
    since = now - LOCKOUT
    failures = (session.query(LoginAttempt)
                .filter(LoginAttempt.user_id == user.id, LoginAttempt.ok.is_(False),
                        LoginAttempt.at >= since)
                .count())
    return failures >= MAX_FAILURES


def record_attempt(session: Session, user: User, ok: bool, ip: str) -> None:
    session.add(LoginAttempt(user_id=user.id, ok=ok, ip=ip, at=datetime.now(UTC)))
    if not ok:
        log.info("auth.failed_login", user_id=user.id)


def create_session(session: Session, user: User, user_agent: str) -> UserSession:
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_hash(token), user_agent=user_agent,
                      expires_at=datetime.now(UTC) + SESSION_TTL)
    session.add(row)
    row.token = token
    return row


def _hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()
