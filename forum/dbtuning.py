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
"""
from __future__ import annotations

import logging
import sqlite3
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
