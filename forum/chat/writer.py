"""One writer per process stores chat messages in batches: an application-level Nagle.

Why: every message used to be its own transaction and its own broadcast.
At 200 members sending once a second that is 200 commits, 200 outbox
kicks and 40,000 WebSocket frames a second, and the frames alone took
about 1.4 cores in the clients and a third of a core in the server
(docs/chat.md, "Benchmark").

How: the socket event checks and screens the message in its own thread
(``services.prepare_send``), then hands it to this writer and waits for the
ack. The writer takes everything queued and stores it in **one**
transaction (``services.store_sends``); after the commit each room gets
**one** event for the batch (``messages``, a list in id order; ``message``
when there is only one). So the per-transaction work (flush, commit, the
outbox kick) and the per-frame work (one send(2) per member on the server,
one frame to decode per client) are paid once per batch, not per message.

When: adaptively, like Nagle's algorithm and a database's group commit.
If no batch started in the last ``window`` seconds the message is stored at
once, so a quiet room sees no added delay. While messages keep coming, a
batch starts at most once per ``window``; whatever arrived in between goes
together. A message therefore waits at most ``window`` (plus the time to
store the batch ahead of it). The default, 15 ms, is below one 60 Hz
display frame (16.7 ms): a browser would paint messages that close together
in the same frame anyway, and people perceive chat delivery well under
100 ms as instant. At 200 messages a second it puts about three messages
in each batch. ``KINDRED_CHAT_BATCH_MS`` sets it (0: no waiting; batches
then only form from what queued while the previous one was stored).

Large rooms: every broadcast is one frame per member, each framed and
written by python-engineio's writer thread for that member's socket. So
the window widens with the room's audience in this process
(``fanout_window``): a room of many members gets fewer, larger batches,
keeping the frames a second it costs under ``fanout_per_second``, up to
``MAX_WINDOW_MS``. A small room keeps the base window.

Guarantees kept: every message is screened before it is queued; it is
committed before anyone else is sent it; the author's ack is sent after
the broadcast, so within one process an ack never overtakes a message
with a lower id in that room (the client's catch-up cursor stays valid);
one writer per process stores in queue order, so a room's messages go out
in id order. Load shedding: when ``max_queue`` messages are already
waiting, a send is refused at once with ``busy`` (the client keeps the
text) instead of piling up threads that wait for seconds.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from forum.chat import services
from forum.chat.services import BUSY, ChatError, PreparedSend

log = logging.getLogger(__name__)

DEFAULT_WINDOW_MS = 15
# Frames a second one room's broadcasts may cost this process before its
# window widens, and the widest window: each frame wakes a member's writer
# thread, and past this the process spends more on fan-out than on sends.
DEFAULT_FANOUT_PER_SECOND = 4000
MAX_WINDOW_MS = 100
AUDIENCE_TTL_SECONDS = 1.0  # how long a room's member count is reused
DEFAULT_MAX_BATCH = 200
# Messages waiting for the writer before new sends are refused as ``busy``:
# a few seconds of the heaviest load one process handles. Beyond that,
# queueing only adds seconds of delay for everyone (and a waiting thread per
# message); refusing at once keeps the room live and the sender's text kept.
DEFAULT_MAX_QUEUE = 1000
# How long an event waits for its batch: far longer than a healthy batch. A
# timed-out message may still be stored; the client resends it with the
# same id, which is then acknowledged as a duplicate.
SUBMIT_TIMEOUT_SECONDS = 20.0
IDLE_EXIT_SECONDS = 30.0  # the thread ends when idle; the next send starts it again
# Events that check and screen a message at the same time. Every incoming
# event has its own thread; with hundreds screening at once the writer got
# the interpreter lock only once in hundreds of turns and stored a batch a
# second (500 members). Waiting here costs no CPU. Screening with the model
# releases the lock while it computes, so a few may overlap usefully.
PREPARE_SLOTS = 4
# Overload: refuse at once (``busy``) rather than queue. A send is refused
# when it would wait more than this for a slot to screen in, or when the
# oldest message waiting for the writer has waited this long: by then the
# process is behind, and every message accepted would only wait longer.
MAX_DELAY_SECONDS = 1.0


@dataclass
class _Pending:
    prepared: PreparedSend
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    queued_at: float = field(default_factory=time.monotonic)


def next_batch(queue: deque, *, now: float, last_start: float, window: float, max_batch: int) -> tuple[list, float]:
    """What to store now: ``(items, 0.0)``, or ``([], wait)`` to wait ``wait``
    seconds first. Idle (no batch started within ``window``): at once.
    Busy: the next batch starts ``window`` after the previous one began."""
    if not queue:
        return [], window
    wait = last_start + window - now
    if wait > 0:
        return [], wait
    return [queue.popleft() for _ in range(min(max_batch, len(queue)))], 0.0


def fanout_window(audience: int, *, base: float, per_second: float,
                  cap: float = MAX_WINDOW_MS / 1000) -> float:
    """The window for a room with ``audience`` sockets: ``base``, widened so
    its broadcasts cost at most ``per_second`` frames a second, never past
    ``cap`` (nor below ``base``)."""
    if per_second <= 0:
        return base
    return max(base, min(cap, audience / per_second))


class SendWriter:
    """The process's chat writer for one app (``app.extensions["kindred_chat"].writer``)."""

    def __init__(self, app: Flask, *, window: float = DEFAULT_WINDOW_MS / 1000, max_batch: int = DEFAULT_MAX_BATCH,
                 max_queue: int = DEFAULT_MAX_QUEUE, audience: Callable[[int], int] | None = None,
                 fanout_per_second: float = DEFAULT_FANOUT_PER_SECOND) -> None:
        self.app = app
        self.window = max(0.0, window)
        # Sockets in this process that a room's broadcast reaches (no I/O:
        # it runs in the writer's loop).
        self._audience = audience
        self.fanout_per_second = fanout_per_second
        self._audiences: dict[int, tuple[float, int]] = {}  # room id -> (read at, count)
        self._widened = 0.0  # the window the last batch's rooms need for their audience
        self.max_batch = max(1, max_batch)
        self.max_queue = max(1, max_queue)
        self._queue: deque[_Pending] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._last_start = float("-inf")
        self._prepare_slots = threading.BoundedSemaphore(PREPARE_SLOTS)
        # Figures for the benchmark and operators: batches stored, messages in them.
        self.batches = 0
        self.messages = 0

    @property
    def pending(self) -> int:
        """Messages waiting to be stored."""
        return len(self._queue)

    @property
    def busy(self) -> bool:
        """Whether a send would be refused now (checked before screening, so
        an overloaded server spends nothing on a message it cannot take)."""
        queue = self._queue
        try:
            oldest = queue[0].queued_at if queue else None
        except IndexError:  # emptied meanwhile
            oldest = None
        return len(queue) >= self.max_queue or (
            oldest is not None and time.monotonic() - oldest > MAX_DELAY_SECONDS)

    @contextmanager
    def preparing(self, timeout: float = MAX_DELAY_SECONDS) -> Iterator[None]:
        """A slot to check and screen one message in (``PREPARE_SLOTS`` at once)."""
        if not self._prepare_slots.acquire(timeout=timeout):
            raise ChatError(*BUSY)
        try:
            yield
        finally:
            self._prepare_slots.release()

    def submit(self, prepared: PreparedSend, timeout: float = SUBMIT_TIMEOUT_SECONDS) -> dict[str, Any]:
        """Queue one prepared message and wait for its ack (raises ChatError)."""
        item = _Pending(prepared)
        with self._cond:
            if len(self._queue) >= self.max_queue:
                raise ChatError(*BUSY)
            self._queue.append(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kindred-chat-writer", daemon=True)
                self._thread.start()
            self._cond.notify()
        if not item.done.wait(timeout):
            log.warning("chat message waited more than %.0f s for the writer", timeout)
            raise ChatError(*BUSY)
        if isinstance(item.result, BaseException):
            raise item.result
        return item.result

    def _run(self) -> None:
        while True:
            with self._cond:
                idle_since = time.monotonic()
                while True:
                    batch, wait = next_batch(self._queue, now=time.monotonic(), last_start=self._last_start,
                                             window=self.current_window, max_batch=self.max_batch)
                    if batch:
                        break
                    if not self._queue and time.monotonic() - idle_since > IDLE_EXIT_SECONDS:
                        self._thread = None
                        return
                    # Waiting out the window releases the lock, so sends keep queueing.
                    self._cond.wait(wait if self._queue else IDLE_EXIT_SECONDS)
            self._last_start = time.monotonic()
            self._store(batch)
            try:
                self._widened = self.window_for({item.prepared.room.id for item in batch})
            except Exception:  # noqa: BLE001 - a dead writer thread would stall every send
                log.exception("chat writer: could not size the window; keeping the last one")

    @property
    def current_window(self) -> float:
        """The window the next batch waits out while messages keep coming."""
        return max(self.window, self._widened)

    def window_for(self, room_ids: set[int]) -> float:
        """The window after a batch for these rooms: the widest they need."""
        if self._audience is None:
            return self.window
        now = time.monotonic()
        widest = self.window
        for room_id in room_ids:
            read_at, count = self._audiences.get(room_id, (float("-inf"), 0))
            if now - read_at > AUDIENCE_TTL_SECONDS:
                count = self._audience(room_id)
                self._audiences[room_id] = (now, count)
            widest = max(widest, fanout_window(count, base=self.window, per_second=self.fanout_per_second))
        return widest

    def _store(self, batch: list[_Pending]) -> None:
        from forum.extensions import db

        results: list[Any]
        try:
            with self.app.app_context():
                users = self.app.extensions["kindred_chat"].users
                try:
                    # attach: the cached member row merged into this session
                    # without a query (and the same object again if a retry needs it)
                    stored = services.store_sends([item.prepared for item in batch], author_of=users.attach)
                    results = [r.author_ack if isinstance(r, services.SendResult) else r for r in stored]
                finally:
                    db.session.rollback()
        except Exception as exc:  # noqa: BLE001 - e.g. the database is down: every sender is told
            log.exception("chat writer: a batch of %d could not be stored", len(batch))
            results = [exc] * len(batch)
        self.batches += 1
        self.messages += len(batch)
        # After the broadcast (emitted at the commit): the acks.
        for item, result in zip(batch, results):
            item.result = result
            item.done.set()
