"""Issue 15, finding 8: the threads of one process take SQLite's write lock
in the order they asked for it, alerts about a person at risk first.

SQLite's busy handler only polls, so under a burst of writes one writer
could lose every poll for seconds (an imminent post's case then reached
staff late). Real sqlite3 connections on a file, real threads.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
import time

from forum import dbtuning


def _connect(path) -> sqlite3.Connection:  # noqa: ANN001
    conn = sqlite3.connect(path, factory=dbtuning.GatedConnection, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


def _queued(gate, n: int) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 10
    while len(gate._queue) < n:
        assert time.monotonic() < deadline, "a writer never queued at the gate"
        time.sleep(0.01)


def test_writers_go_in_order_urgent_first(tmp_path):
    path = tmp_path / "gate.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE t (who TEXT)")
    setup.commit()
    setup.close()

    holder = _connect(path)
    holder.cursor().execute("INSERT INTO t VALUES ('holder')")  # holds the write lock, uncommitted
    gate = dbtuning._gate_for(str(path))
    order: list[str] = []

    def write(who: str, urgent: bool = False) -> None:
        conn = _connect(path)
        with dbtuning.urgent_writes() if urgent else contextlib.nullcontext():
            conn.cursor().execute("INSERT INTO t VALUES (?)", (who,))
            order.append(who)
            conn.commit()
        conn.close()

    threads = []
    for n, (who, urgent) in enumerate([("first", False), ("second", False), ("alert", True)], start=1):
        threads.append(threading.Thread(target=write, args=(who, urgent)))
        threads[-1].start()
        _queued(gate, n)
    holder.commit()
    for t in threads:
        t.join(30)
    holder.close()
    assert order == ["alert", "first", "second"]
    # Reads never wait at the gate, and a read does not keep it.
    reader = _connect(path)
    assert reader.cursor().execute("SELECT count(*) FROM t").fetchone() == (4,)
    assert gate._owner is None and not gate._queue

