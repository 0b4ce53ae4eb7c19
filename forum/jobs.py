"""Background jobs with huey: SqliteHuey by default, RedisHuey with REDIS_URL.

STUB: the review-queue issue fills this in (deadlines, re-alerts, outbox
relay, second opinion).
"""
from __future__ import annotations

import os

from flask import Flask
from huey import RedisHuey, SqliteHuey

from config import INSTANCE_DIR


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("kindred", url=redis_url)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("kindred", filename=str(INSTANCE_DIR / "huey.sqlite3"))


huey = _make_huey()
_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _app
    _app = app
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE"))
