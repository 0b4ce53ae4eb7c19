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
import os
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
_SYNC_LEVELS = {"OFF", "NORMAL", "FULL", "EXTRA"}


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    sync = os.environ.get("KINDRED_SQLITE_SYNCHRONOUS", "FULL").upper()
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
