"""Transactional outbox: work that must happen after a commit, reliably.

Services add an ``Outbox`` row in the same transaction as the change that
needs it (an escalation, a missed deadline). Nothing is lost if the process
dies right after the commit: the relay runs right after the commit (kicked
through the job queue) AND periodically from the job consumer, and it
delivers every unprocessed row, whichever process wrote it.

Delivery is at-least-once. A row is leased before delivery (an atomic
UPDATE ... WHERE processed_at IS NULL AND available_at <= now), so two
relays running at once do not both send it; a relay that dies mid-delivery
lets the lease expire and the row is retried. Failures back off and are
recorded in ``last_error``.
"""
from __future__ import annotations

import atexit
import json
import logging
import threading
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app
from sqlalchemy import case, select, update

from forum import dbtuning, mail
from forum.after_commit import call_after_commit
from forum.extensions import db, socketio
from forum.models import Alert, Escalation, Outbox
from forum.models import base as clock

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=10)
Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}
# Alerts about a person possibly at risk: relayed before any other row, and
# right after their commit by this process, never behind routine jobs.
URGENT = frozenset({"escalation.opened", "oncall.notify"})


# Kinds whose payload is personal data (an email address): emptied once delivered.
SCRUB_AFTER_DELIVERY: set[str] = set()


def handler(kind: str, *, scrub: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if scrub:
            SCRUB_AFTER_DELIVERY.add(kind)
        return fn

    return register


def add(kind: str, /, **payload: Any) -> Outbox:
    """Add an outbox row to the current transaction and kick the relay after commit."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    now = clock.utcnow()
    row = Outbox(kind=kind, payload=payload, created_at=now, available_at=now)
    db.session.add(row)
    call_after_commit(kick_relay, late=True, key="outbox_kick")
    if kind in URGENT:
        # Only wakes this process's urgent relay, so it goes before the slower
        # queue kick; a crash after the commit still leaves the row for the periodic relay.
        call_after_commit(kick_urgent, key="outbox_urgent")
    return row


class _Queue:
    """The job queue as the outbox sees it, set by ``forum.jobs`` when it
    loads, so imports flow one way (jobs -> outbox) and the outbox never
    reaches back for the queue."""

    relay: Callable[[], Any] = staticmethod(lambda: None)
    immediate: Callable[[], bool] = staticmethod(lambda: False)


def use_queue(relay: Callable[[], Any], immediate: Callable[[], bool]) -> None:
    _Queue.relay = staticmethod(relay)
    _Queue.immediate = staticmethod(immediate)


def kick_relay() -> None:
    """Ask the job queue to relay now (inline in immediate mode)."""
    _Queue.relay()


def kick_urgent() -> None:
    """Relay urgent rows now in this process, without waiting for the queue.

    The job queue may be busy with slower work (a second opinion on every
    ordinary post), and the embedded SQLite queue is polled, not pushed.
    In immediate mode ``kick_relay`` has already delivered everything.
    """
    if not _Queue.immediate():
        _urgent_relay.kick(current_app._get_current_object())


class _UrgentRelay:
    """One thread per process that relays urgent rows whenever it is kicked.

    At exit the process waits (briefly) for it to finish, so a short-lived
    process (a CLI command) does not die holding a leased alert.
    """

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._app: Flask | None = None

    def kick(self, app: Flask) -> None:
        with self._lock:
            self._app = app
            self._idle.clear()
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="kindred-urgent-relay", daemon=True)
                self._thread.start()

    def drain(self, timeout: float = 15) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                self._wake.clear()
                app = self._app
            try:
                with app.app_context(), dbtuning.urgent_writes():
                    relay(kinds=URGENT)
            except Exception:  # noqa: BLE001 - the queue's relay and the periodic check retry
                log.exception("urgent outbox relay failed")
            with self._lock:
                if not self._wake.is_set():
                    self._idle.set()


_urgent_relay = _UrgentRelay()
atexit.register(_urgent_relay.drain)


def _lease_batch(now, limit: int, kinds: frozenset[str] | None, exclude: frozenset[str] = frozenset()) -> list[int]:
    """Lease up to ``limit`` due rows, urgent kinds first, in one write.

    One statement for the whole batch: relays running at once each get their
    own rows, and none spends a write (on SQLite, the database's single write
    lock) on a row another relay already took.
    """
    due = select(Outbox.id).where(Outbox.processed_at.is_(None), Outbox.available_at <= now)
    if kinds is not None:
        due = due.where(Outbox.kind.in_(sorted(kinds)))
    if exclude:
        due = due.where(Outbox.kind.not_in(sorted(exclude)))
    urgent_first = case((Outbox.kind.in_(sorted(URGENT)), 0), else_=1)
    due = due.order_by(urgent_first, Outbox.id).limit(limit)
    leased = db.session.execute(
        update(Outbox)
        .where(Outbox.id.in_(due.scalar_subquery()), Outbox.processed_at.is_(None), Outbox.available_at <= now)
        .values(available_at=now + LEASE, attempts=Outbox.attempts + 1)
        .returning(Outbox.id, Outbox.kind)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    rank = {row_id: (kind not in URGENT, row_id) for row_id, kind in leased}
    return sorted(rank, key=rank.__getitem__)


def _leased(limit: int, kinds: frozenset[str] | None, batch: int = 10):
    """Row ids to deliver: urgent rows one at a time (none waits in a batch
    behind other rows), then routine rows in small batches."""
    taken = 0
    while taken < limit:
        now = clock.utcnow()
        ids = _lease_batch(now, 1, URGENT if kinds is None else kinds & URGENT)
        if not ids and (kinds is None or kinds - URGENT):
            ids = _lease_batch(now, min(batch, limit - taken), kinds, exclude=URGENT)
        if not ids:
            return
        taken += len(ids)
        yield from ids


def relay(limit: int = 100, kinds: frozenset[str] | None = None) -> int:
    """Deliver due outbox rows, urgent kinds first (only ``kinds`` if given);
    returns how many were delivered. Needs an app context."""
    delivered = 0
    # Small batches: a lease must not expire while its batch waits, and an
    # urgent row written meanwhile is taken at the next batch.
    for row_id in _leased(limit, kinds):
        row = db.session.get(Outbox, row_id)
        try:
            HANDLERS[row.kind](dict(row.payload))
            if row.kind in SCRUB_AFTER_DELIVERY:
                row.payload = {}
            row.processed_at = clock.utcnow()
            row.last_error = None
            db.session.commit()
            delivered += 1
        except Exception as exc:  # noqa: BLE001 - recorded and retried
            db.session.rollback()
            row = db.session.get(Outbox, row_id)
            backoff = min(MAX_BACKOFF, timedelta(seconds=15 * 2 ** min(row.attempts, 8)))
            row.available_at = clock.utcnow() + backoff
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
            log.warning("outbox row %s (%s) failed, retrying in %s: %s", row_id, row.kind, backoff, exc)
    return delivered


# -- channels -----------------------------------------------------------------

def _record(kind: str, channel: str, *, ok: bool, recipient: str | None = None, detail: str | None = None,
            review_id: int | None = None, escalation_id: int | None = None) -> None:
    db.session.add(Alert(kind=kind, channel=channel, ok=ok, recipient=recipient, detail=detail,
                         review_id=review_id, escalation_id=escalation_id, created_at=clock.utcnow()))


def send_email(subject: str, body: str, recipients: list[str], headers: dict[str, str] | None = None) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = ", ".join(recipients)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    mail.send(msg)


def post_webhook(url: str, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    timeout = current_app.config.get("SMTP_TIMEOUT", 10)
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - operator-configured URL
        if resp.status >= 300:
            raise OSError(f"webhook answered {resp.status}")


def notify_oncall(kind: str, subject: str, body: str, *, review_id: int | None = None,
                  escalation_id: int | None = None) -> None:
    """Email and webhook on-call staff; record one Alert per channel.

    Messages carry no member text and no handle: only what happened and a
    link, because email and chat webhooks leave the platform.
    A channel that fails raises, so the outbox row is retried; channels that
    already succeeded are recorded (a retry may repeat them: at-least-once).
    """
    cfg = current_app.config
    errors: list[str] = []
    sent_any = False
    if cfg.get("SMTP_HOST") and cfg.get("ONCALL_EMAILS"):
        try:
            send_email(subject, body, cfg["ONCALL_EMAILS"])
            _record(kind, "email", ok=True, recipient=",".join(cfg["ONCALL_EMAILS"]), detail=subject,
                    review_id=review_id, escalation_id=escalation_id)
            sent_any = True
        except Exception as exc:  # noqa: BLE001
            _record(kind, "email", ok=False, detail=str(exc)[:500], review_id=review_id, escalation_id=escalation_id)
            errors.append(f"email: {exc}")
    if cfg.get("ONCALL_WEBHOOK_URL"):
        try:
            post_webhook(cfg["ONCALL_WEBHOOK_URL"], {"kind": kind, "subject": subject, "text": body,
                                                     "review_id": review_id, "escalation_id": escalation_id})
            _record(kind, "webhook", ok=True, recipient="webhook", detail=subject,
                    review_id=review_id, escalation_id=escalation_id)
            sent_any = True
        except Exception as exc:  # noqa: BLE001
            _record(kind, "webhook", ok=False, detail=str(exc)[:500], review_id=review_id,
                    escalation_id=escalation_id)
            errors.append(f"webhook: {exc}")
    if not sent_any and not errors:
        # No channel configured: say so loudly in the log, and in the record.
        log.error("on-call notification %r not sent: set SMTP_HOST + KINDRED_ONCALL_EMAILS "
                  "and/or KINDRED_ONCALL_WEBHOOK_URL", subject)
        _record(kind, "log", ok=False, detail="no on-call channel configured", review_id=review_id,
                escalation_id=escalation_id)
    db.session.commit()
    if errors:
        raise RuntimeError("; ".join(errors))


def _case_url(escalation_id: int) -> str:
    from forum.links import external_url

    return external_url("staff.case", case_id=escalation_id)


@handler("escalation.opened")
def _escalation_opened(payload: dict[str, Any]) -> None:
    case = db.session.get(Escalation, payload["escalation_id"])
    if case is None:
        return
    socketio.emit("case", {"id": case.id, "status": case.status, "risk": case.risk, "new": True},
                  namespace="/staff", to="staff")
    _record("case_opened", "socket", ok=True, recipient="staff", escalation_id=case.id)
    notify_oncall(
        "case_opened",
        f"Kindred: new {case.risk} crisis case #{case.id}",
        f"A {case.risk}-risk case needs a staff member to acknowledge it.\n{_case_url(case.id)}\n",
        review_id=case.review_id, escalation_id=case.id,
    )


@handler("oncall.notify")
def _oncall_notify(payload: dict[str, Any]) -> None:
    notify_oncall(payload["kind"], payload["subject"], payload["body"],
                  review_id=payload.get("review_id"), escalation_id=payload.get("escalation_id"))


@handler("conversation.email")
def _conversation_email(payload: dict[str, Any]) -> None:
    from forum.conversations import services

    services.deliver_email(payload["user_id"], payload["conversation_id"])
