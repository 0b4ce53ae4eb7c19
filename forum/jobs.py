"""Background jobs with huey: SqliteHuey by default, RedisHuey with REDIS_URL.

Run the consumer as its own process (``make run`` does it for you)::

    huey_consumer forum.jobs.huey --workers 2 --worker-type thread

Importing this module only creates the huey instance. The Flask app a job
needs is created lazily, the first time a job runs in the consumer process;
in the web process ``init_app`` hands over the running app instead.

Jobs:
- ``relay_outbox_task``: deliver outbox rows (kicked after each commit that
  wrote one, and every minute by ``periodic_checks`` as a safety net).
- ``deadline_check_task``: the same check, scheduled at the exact time a
  case or item falls due (and at each re-alert), so alerts are on time.
- ``periodic_checks``: missed deadlines (re-alert, notify on-call, raise a
  tier), expired claims, then the outbox relay.
- ``digest_task``: hourly, queues the daily notification digests that are
  due (forum/notify/email.py); the emails themselves go through the outbox.
- ``retention_task``: hourly, members' data rights and retention
  (forum/rights/retention.py): closures past their grace period, ended
  safeguarding holds, released handles, and every retention rule.
Failed jobs are retried (``retries``) and logged.
"""
from __future__ import annotations

import logging
from datetime import UTC

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab
from huey.signals import SIGNAL_ERROR

from config import INSTANCE_DIR, REDIS_URL, private_dir, private_file
from forum import outbox

log = logging.getLogger(__name__)


def _make_huey():
    redis_url = REDIS_URL
    if redis_url:
        return RedisHuey("kindred", url=redis_url)
    private_dir(INSTANCE_DIR)
    return SqliteHuey("kindred", filename=str(private_file(INSTANCE_DIR / "huey.sqlite3")))


huey = _make_huey()
_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _app
    _app = app
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE"))


def get_app() -> Flask:
    """The app for job bodies: the web app, or one built lazily in the consumer."""
    global _app
    if _app is None:
        from forum import create_app

        _app = create_app()
    return _app


@huey.on_startup()
def _warm_models() -> None:
    """Load the screening models (Detoxify included) before the first job.

    The second opinion is the consumer's slowest job; loading its model at
    start keeps the first re-check inside the review deadlines.
    """
    import moderation

    moderation.warm_up(detoxify=True)


@huey.signal(SIGNAL_ERROR)
def _log_failure(signal, task, exc=None):  # noqa: ANN001 - huey signal signature
    log.error("job %s failed (%s retries left): %r", task.name, task.retries, exc)


@huey.task(retries=5, retry_delay=10)
def relay_outbox_task() -> int:
    # A fresh app context gives this job its own database session, even when
    # it runs inline (immediate mode) right after another session committed.
    with get_app().app_context():
        return outbox.relay()


outbox.use_queue(relay=lambda: relay_outbox_task(), immediate=lambda: huey.immediate)


def run_periodic_checks() -> dict:
    from forum.review import deadlines

    with get_app().app_context():
        summary = deadlines.check()
        summary["relayed"] = outbox.relay()
        return summary


@huey.task(retries=2, retry_delay=1)
def deadline_check_task() -> dict:
    """One deadline check, scheduled for the moment a deadline or re-alert falls due."""
    return run_periodic_checks()


def schedule_deadline_check(at) -> None:  # noqa: ANN001 - an aware datetime
    # huey compares etas with naive UTC datetimes.
    eta = at.astimezone(UTC).replace(tzinfo=None)
    if huey.immediate:
        return  # tests drive deadlines.check() with their own clock
    deadline_check_task.schedule(eta=eta)


@huey.periodic_task(crontab(minute="*"), retries=2, retry_delay=5)
def periodic_checks() -> dict:
    """Every minute: deadlines, claims and the outbox safety net."""
    return run_periodic_checks()


def run_retention() -> dict:
    from forum.rights import retention

    with get_app().app_context():
        return retention.run_all()


@huey.periodic_task(crontab(minute="17"), retries=2, retry_delay=60)
def retention_task() -> dict:
    """Hourly: closures, holds, handle quarantine and retention (each step idempotent)."""
    return run_retention()


def run_digests() -> int:
    from forum.notify import email

    with get_app().app_context():
        queued = email.queue_digests()
        outbox.relay()
        return queued


@huey.periodic_task(crontab(minute="41"), retries=2, retry_delay=60)
def digest_task() -> int:
    """Hourly: members whose daily digest is due get it (only if something is unread)."""
    return run_digests()
