"""HTTP helpers for tests that talk to a real server process (requests)."""
from __future__ import annotations

import re

import requests

from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf(session: requests.Session, url: str) -> str:
    resp = session.get(url, timeout=30)
    resp.raise_for_status()
    match = _CSRF.search(resp.text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(base: str, handle: str) -> requests.Session:
    s = requests.Session()
    token = csrf(s, base + "/auth/login")
    resp = s.post(base + "/auth/login", data={"handle": handle, "password": PASSWORD, "csrf_token": token},
                  timeout=30, allow_redirects=False)
    assert resp.status_code == 302, f"login failed for {handle}: {resp.status_code}"
    return s


def new_topic(s: requests.Session, base: str, slug: str, title: str, body: str) -> requests.Response:
    token = csrf(s, f"{base}/boards/{slug}/new")
    return s.post(f"{base}/boards/{slug}/new", data={"title": title, "body": body, "csrf_token": token},
                  timeout=60, allow_redirects=False)


def cookie_header(s: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)
