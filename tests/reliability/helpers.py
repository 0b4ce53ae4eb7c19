"""Shared pieces for the reliability tests: real servers, real logins.

Each test starts ``python -m forum.serve`` processes (tests.live) on the
suite's database, or on its own SQLite file where the finding is about
SQLite, and talks to them over HTTP with ``requests``.
"""
from __future__ import annotations

import re
from pathlib import Path

import requests

from config import TestConfig
from tests.conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')


def login(base_url: str, handle: str) -> requests.Session:
    """A requests session logged in through the real form."""
    http = requests.Session()
    page = http.get(base_url + "/auth/login", timeout=30)
    data = {"handle": handle, "password": PASSWORD}
    if token := CSRF.search(page.text):
        data["csrf_token"] = token.group(1)
    res = http.post(base_url + "/auth/login", data=data, allow_redirects=False, timeout=60)
    assert res.status_code in (302, 303), f"login failed for {handle}: {res.status_code}"
    return http


def form_fields(html: str) -> dict[str, str]:
    """The CSRF token and submission key of the first form on a page that has them."""
    fields = {}
    if token := CSRF.search(html):
        fields["csrf_token"] = token.group(1)
    if key := KEY.search(html):
        fields["submission_key"] = key.group(1)
    return fields


def sqlite_app(path: Path, instance: Path):
    """An app on its own SQLite file with the schema built (for SQLite-only findings)."""
    from forum import create_app
    from forum.extensions import db

    cfg = type("SqliteOnly", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                              "INSTANCE_DIR": instance,
                                              "SECRET_KEY": "test-secret-key-not-for-production"})
    app = create_app(cfg)
    with app.app_context():
        db.create_all()
    return app
