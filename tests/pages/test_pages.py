"""Static pages, help, error pages and security headers."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path, words", [
    ("/", b"Welcome to Kindred"),
    ("/about", b"Not a crisis service"),
    ("/guidelines", b"Talk about feelings, not methods"),
    ("/privacy", b"What we keep"),
    ("/help", b"Get help now"),
])
def test_pages_render(client, path, words):
    r = client.get(path)
    assert r.status_code == 200 and words in r.data
    assert b'href="/help"' in r.data  # every page links to help


def test_help_follows_region_and_picker(client):
    assert b"Samaritans" in client.get("/help", headers={"Accept-Language": "en-GB"}).data
    us = client.get("/help?region=US").data
    assert b"988" in us and b'<option value="US" selected' in us


def test_security_headers(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "private, no-store"


def test_no_inline_script_or_style_in_pages(client):
    for path in ("/", "/about", "/guidelines", "/privacy", "/help", "/auth/login", "/auth/register", "/boards/"):
        html = client.get(path).data
        assert b"<script>" not in html and b"style=" not in html and b"<style" not in html
        assert b"http://" not in html.replace(b"http://localhost", b"")


def test_session_cookie_flags(client, users):
    r = client.post("/auth/login", data={"handle": "MemberPerson", "password": "correct horse battery staple"})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("code, words", [(403, b"open this page"), (404, b"find that page"),
                                         (409, b"got there first"), (429, b"slow down"), (500, b"went wrong on our side")])
def test_error_pages_in_site_design(app, code, words):
    from flask import abort

    def boom():
        if code == 500:
            raise RuntimeError("secret stack detail")
        abort(code)

    app.add_url_rule(f"/_boom{code}", f"boom{code}", boom)
    r = app.test_client().get(f"/_boom{code}")
    assert r.status_code == code and words in r.data
    assert b"Get help now" in r.data and b"secret stack detail" not in r.data and b"Traceback" not in r.data
