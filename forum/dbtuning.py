"""SQLite settings for the embedded (single-machine) set-up.

- WAL journal: readers no longer block the writer (and the other way
  round). With the default rollback journal, concurrent writers (chat
  sends, posts, jobs) queue on the file lock and SQLite's busy-wait
  back-off, which stalled live chat by seconds under load.
- busy_timeout: wait for the lock instead of failing at once.
- synchronous: FULL by default (every commit is on disk before it returns).
  ``KINDRED_SQLITE_SYNCHRONOUS=NORMAL`` skips the fsync per commit in WAL
  mode: a committed transaction still survives a crash or restart of the
  process, but the last ones can be lost if the machine itself loses power.
  On this machine a commit costs ~23 ms (rollback journal), ~7.5 ms (WAL,
  FULL) and ~0.02 ms (WAL, NORMAL). PostgreSQL is unaffected.
- A fair write gate (``GatedConnection``): the threads of one process take
  SQLite's single write lock in the order they asked for it. SQLite's own
  busy handler only polls, sleeping longer the longer a writer has waited,
  so under a burst of posts one writer could lose every poll for seconds
  while newer ones went ahead: an imminent post then reached staff late
  (issue 15, finding 8). Other processes still meet the busy handler.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from config import SQLITE_SYNCHRONOUS, private_file

log = logging.getLogger(__name__)
_SYNC_LEVELS = {"OFF", "NORMAL", "FULL", "EXTRA"}


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    sync = SQLITE_SYNCHRONOUS
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 10000")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:  # another process holds a lock; it is set next time
            log.warning("could not switch SQLite to WAL yet", exc_info=True)
        if sync in _SYNC_LEVELS:
            cursor.execute(f"PRAGMA synchronous = {sync}")
    finally:
        cursor.close()


def private_sqlite_file(uri: str) -> None:
    """Create a SQLite database file owner-only (0600) before SQLite does.

    Its -wal and -shm files then get the same mode. In-memory and URI-style
    databases are left alone.
    """
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    if url.database.startswith("file:") or url.query.get("uri"):
        return
    path = Path(url.database)
    if path.parent.is_dir():
        private_file(path)


# Statements that never take the write lock. Anything else waits at the gate,
# which is released at once if it did not open a transaction.
_READS = ("SELECT", "PRAGMA", "EXPLAIN")
# How long a writer waits at the gate before trying SQLite's lock anyway (the
# busy handler and the write retries then decide, as without the gate).
GATE_TIMEOUT = 10.0


class _FairGate:
    """A first-come, first-served lock, held from a connection's first write
    until its commit or rollback."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._owner: int | None = None  # the holding thread
        self._urgent: set[object] = set()

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                # The holder writes through a second connection: waiting for
                # itself would only time out, so let SQLite decide as before.
                return False
            ticket = object()
            if getattr(_urgent, "on", False):
                # Behind other urgent writers only (see ``urgent_writes``).
                self._queue.insert(sum(1 for t in self._queue if t in self._urgent), ticket)
                self._urgent.add(ticket)
            else:
                self._queue.append(ticket)
            got = self._cond.wait_for(lambda: self._owner is None and self._queue[0] is ticket, timeout)
            self._queue.remove(ticket)
            self._urgent.discard(ticket)
            if got:
                self._owner = me
            else:
                self._cond.notify_all()
            return got

    def release(self) -> None:
        with self._cond:
            self._owner = None
            self._cond.notify_all()


_urgent = threading.local()


@contextmanager
def urgent_writes() -> Iterator[None]:
    """This thread's writes go to the front of the write gate's queue.

    Only for alerts about a person possibly at risk (the urgent outbox
    relay): they must not wait behind a burst of ordinary posts.
    """
    before = getattr(_urgent, "on", False)
    _urgent.on = True
    try:
        yield
    finally:
        _urgent.on = before


_gates: dict[str, _FairGate] = {}
_gates_lock = threading.Lock()


def _gate_for(path: str) -> _FairGate:
    key = os.path.realpath(path)
    with _gates_lock:
        return _gates.setdefault(key, _FairGate())


class _GatedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):  # noqa: ANN001, ANN201 - sqlite3's signature
        self.connection._before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection._after()

    def executemany(self, sql, seq_of_parameters, /):  # noqa: ANN001, ANN201
        self.connection._before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection._after()


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that passes the process's write gate for its
    database file before it writes (``sqlite3.connect(factory=...)``)."""

    def __init__(self, database, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(database, *args, **kwargs)
        self._gate = _gate_for(os.fspath(database))
        self._holding = False

    def cursor(self, factory=_GatedCursor):  # noqa: ANN001, ANN201
        return super().cursor(factory)

    def _before(self, sql: str) -> None:
        if not self._holding and not sql.lstrip()[:8].upper().startswith(_READS):
            self._holding = self._gate.acquire(GATE_TIMEOUT)

    def _after(self) -> None:
        if self._holding and not self.in_transaction:
            self._let_go()

    def _let_go(self) -> None:
        if self._holding:
            self._holding = False
            self._gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()


def engine_options(uri: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the write gate for a SQLite database file."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return options
    if url.database.startswith("file:") or url.query.get("uri"):
        return options
    connect_args = {**options.get("connect_args", {}), "factory": GatedConnection}
    return {**options, "connect_args": connect_args}
