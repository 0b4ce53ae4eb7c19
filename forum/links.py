"""Absolute links for messages that leave the site (emails, webhooks).

They are built from ``KINDRED_BASE_URL`` alone, never from the request: the
Host header is the client's to choose, and a forged one would put an
attacker's address in a password-reset email.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """``endpoint``'s address under ``KINDRED_BASE_URL``.

    Without a base URL (allowed only when no mail or webhook is configured,
    so nothing leaves the site) the path alone is returned.
    """
    base = current_app.config.get("KINDRED_BASE_URL")
    if not base:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
