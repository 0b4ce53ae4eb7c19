"""Retrying a write transaction when the database is briefly unavailable.

Two members replying at the same instant, or another process holding the
SQLite write lock, must not lose a post. ``retrying(write)`` runs ``write``
(which flushes and commits) again after a rollback when the failure is
transient, with jittered exponential backoff, for at most
``KINDRED_DB_RETRY_SECONDS`` in total. Past that bound it raises
``StorageUnavailable``, which the error pages turn into the member's form
with their text kept (forum.web).

Requests that are safe to repeat (a page view; a form carrying its one-time
``submission_key``, whose resubmit returns the stored post) are run again
whole by ``RepeatOnLostDatabase`` when the database went away under them,
for at most ``KINDRED_DB_READ_RETRY_SECONDS``: a database restart of a few
seconds then shows as a slower page, not an error page.
"""
from __future__ import annotations

import io
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app
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
                      # PostgreSQL shutting down, starting up or recovering:
                      "the database system is", "connection failed", "connection reset", "no connection to the server",
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


class Backoff:
    """Jittered exponential pauses within a total time budget."""

    def __init__(self, budget: float) -> None:
        self.deadline = time.monotonic() + budget
        self.delay = FIRST_DELAY

    def pause(self) -> float | None:
        """The next pause, or None when it would end past the budget.
        Full jitter: callers that clashed once must not clash again in step."""
        pause = random.uniform(0, self.delay)
        if time.monotonic() + pause >= self.deadline:
            return None
        self.delay = min(MAX_DELAY, self.delay * 2)
        return pause


def retrying(write: Callable[[], T], *, budget: float | None = None) -> T:
    """Run ``write`` until it commits, retrying transient database errors.

    ``write`` must be safe to run again after a rollback: it builds its rows
    afresh on each attempt.
    """
    backoff = Backoff(current_app.config["KINDRED_DB_RETRY_SECONDS"] if budget is None else budget)
    attempt = 0
    while True:
        attempt += 1
        try:
            return write()
        except DBAPIError as exc:
            _rollback()
            if not is_transient(exc):
                raise
            pause = backoff.pause()
            if pause is None:
                log.warning("database write gave up after %d attempts: %s", attempt, exc.orig)
                raise StorageUnavailable(str(exc.orig)) from exc
            time.sleep(pause)


# Set in a request's WSGI environ: may this attempt be run again, and did it
# fail on a lost database (the error handler marks it; see ``mark_lost``).
_MAY_REPEAT = "kindred.db_may_repeat"
_LOST = "kindred.db_lost"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def mark_lost(environ: dict[str, Any], error: BaseException, repeatable: bool) -> bool:
    """Called by the error handler: True when this attempt's answer is to be
    thrown away and the request run again (transient error, time left)."""
    if repeatable and environ.get(_MAY_REPEAT) and is_transient_error(error):
        environ[_LOST] = True
        return True
    return False


def is_transient_error(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and is_transient(error)


class RepeatOnLostDatabase:
    """WSGI middleware: run a request that is safe to repeat again when the
    database connection was lost under it, within a bounded time.

    Which requests are safe is decided by the error handler, which has the
    parsed form (``mark_lost``); this layer only keeps what it needs to run
    the request again (a POST's body, buffered when it is small enough).
    The last attempt is never marked, so its answer (the error page, or the
    form with the member's text) goes to the member as before.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        body = self._buffered_body(environ) if method == "POST" else b""
        if method not in _SAFE_METHODS and body is None:
            return self.wsgi_app(environ, start_response)
        backoff = Backoff(self.app.config["KINDRED_DB_READ_RETRY_SECONDS"])
        while True:
            attempt = dict(environ)
            attempt[_MAY_REPEAT] = True
            if method == "POST":
                attempt["wsgi.input"] = io.BytesIO(body)
            pause = backoff.pause()
            if pause is None:
                attempt[_MAY_REPEAT] = False

            def respond(status: str, headers: list, exc_info: Any = None, _attempt=attempt) -> Callable:
                if _attempt.get(_LOST):
                    return lambda _data: None
                return start_response(status, headers, exc_info)

            result = self.wsgi_app(attempt, respond)
            if not attempt.get(_LOST):
                return result
            if hasattr(result, "close"):
                result.close()
            log.warning("database lost during %s %s; running it again", method, environ.get("PATH_INFO"))
            time.sleep(pause or 0)

    def _buffered_body(self, environ: dict[str, Any]) -> bytes | None:
        """A form POST's body, kept to replay it; None for anything else."""
        kind = environ.get("CONTENT_TYPE", "")
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        limit = self.app.config.get("MAX_CONTENT_LENGTH") or 1024 * 1024
        if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")) \
                or not 0 <= length <= limit:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        return body


def _rollback() -> None:
    try:
        db.session.rollback()
    except DBAPIError:
        # The connection itself is gone; a new one is taken on the next attempt.
        db.session.close()
