"""Socket.IO emits that happen only after the database commit.

A live event must never announce something the database does not hold: a
moderator who clicks a "new crisis item" alert must find the item. So
services queue their emits on the SQLAlchemy session; they are sent once
the transaction commits and silently dropped if it rolls back.

    emit_after_commit("item", {...}, namespace="/mod", to="mod")
    db.session.commit()   # <- the emit happens here, after the commit

Callbacks registered with ``call_after_commit`` run the same way (used to
kick the outbox relay).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.extensions import db, socketio

log = logging.getLogger(__name__)
_KEY = "kindred_after_commit"


def _pending(session: Session) -> list[tuple[bool, Callable[[], None], str | None]]:
    return session.info.setdefault(_KEY, [])


def call_after_commit(fn: Callable[[], None], session: Session | None = None, *, late: bool = False,
                      key: str | None = None) -> None:
    """Run ``fn`` once the current transaction commits (dropped on rollback).

    ``late`` callbacks (slow work such as enqueueing a job) run after all the
    others, so a moderator's live alert never waits behind them. With a
    ``key``, only the first callback registered under it per transaction runs.
    """
    session = session or db.session()
    pending = _pending(session)
    if key is not None and any(k == key for _late, _fn, k in pending):
        return
    pending.append((late, fn, key))


def emit_after_commit(event_name: str, data: Any, *, namespace: str, to: str | None = None,
                      session: Session | None = None) -> None:
    """Queue a Socket.IO emit to be sent after the current transaction commits."""

    def send() -> None:
        socketio.emit(event_name, data, namespace=namespace, to=to)

    call_after_commit(send, session)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_KEY, [])
    for _late, fn, _key in sorted(callbacks, key=lambda item: item[0]):  # stable within each group
        # A failed emit must not turn a committed change into an error page:
        # the data is safe, and the outbox/deadline jobs re-alert if needed.
        try:
            fn()
        except Exception:  # noqa: BLE001
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
