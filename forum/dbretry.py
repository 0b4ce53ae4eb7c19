"""Retrying a write transaction when the database is briefly unavailable.

Two members replying at the same instant, or another process holding the
SQLite write lock, must not lose a post. ``retrying(write)`` runs ``write``
(which flushes and commits) again after a rollback when the failure is
transient, with jittered exponential backoff, for at most
``KINDRED_DB_RETRY_SECONDS`` in total. Past that bound it raises
``StorageUnavailable``, which the error pages turn into the member's form
with their text kept (forum.web).
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from forum.extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_DELAY = 0.02
MAX_DELAY = 1.0
# Unique constraints whose clash means "someone took this number first":
# retrying takes the next one.
RETRYABLE_CONSTRAINTS = ("uq_posts_topic_number", "posts.topic_id, posts.number")
# SQLite's busy and PostgreSQL's serialisation, deadlock and connection errors.
RETRYABLE_MESSAGES = ("database is locked", "database table is locked", "deadlock detected",
                      "could not serialize access", "server closed the connection", "connection refused",
                      "terminating connection", "connection is closed", "the connection is lost",
                      "unable to open database file", "disk i/o error")


class StorageUnavailable(Exception):
    """The database stayed unavailable for the whole retry budget."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, IntegrityError):
        return any(name in str(exc.orig) for name in RETRYABLE_CONSTRAINTS)
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        message = str(getattr(exc, "orig", exc)).lower()
        return exc.connection_invalidated or any(m in message for m in RETRYABLE_MESSAGES)
    return False


def retrying(write: Callable[[], T], *, budget: float | None = None) -> T:
    """Run ``write`` until it commits, retrying transient database errors.

    ``write`` must be safe to run again after a rollback: it builds its rows
    afresh on each attempt.
    """
    budget = current_app.config["KINDRED_DB_RETRY_SECONDS"] if budget is None else budget
    deadline = time.monotonic() + budget
    delay = FIRST_DELAY
    attempt = 0
    while True:
        attempt += 1
        try:
            return write()
        except DBAPIError as exc:
            _rollback()
            if not is_transient(exc):
                raise
            # Full jitter: writers that clashed once must not clash again in step.
            pause = random.uniform(0, delay)
            if time.monotonic() + pause >= deadline:
                log.warning("database write gave up after %d attempts: %s", attempt, exc.orig)
                raise StorageUnavailable(str(exc.orig)) from exc
            time.sleep(pause)
            delay = min(MAX_DELAY, delay * 2)


def _rollback() -> None:
    try:
        db.session.rollback()
    except DBAPIError:
        # The connection itself is gone; a new one is taken on the next attempt.
        db.session.close()
