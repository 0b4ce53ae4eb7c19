"""Kindred's moderation engine. Pure Python: no Flask, no I/O on the hot path.

TEMPORARY STAND-IN while the engine issue lands: it renders and sanitises
with markdown-it + nh3 and publishes. It never returns unsanitised HTML.
"""
from __future__ import annotations

import html as _html
import logging

import markdown_it
import nh3

from moderation.verdict import Reason, Signposting, Service, Verdict

__all__ = ["Reason", "Service", "Signposting", "Verdict", "screen", "screen_many", "warm_up"]

log = logging.getLogger(__name__)
_md = markdown_it.MarkdownIt("commonmark", {"html": False})


def screen(text: str, *, kind: str = "post", region: str | None = None, profile: str | None = None) -> Verdict:
    try:
        safe = nh3.clean(_md.render(text))
        return Verdict(action="publish", risk="none", categories=frozenset(), html=safe, text=text)
    except Exception:  # fail safe: hold, never publish unscreened
        log.exception("screening failed")
        return Verdict(action="hold", risk="none", categories=frozenset({"screening_error"}),
                       html=f"<p>{_html.escape(text)}</p>")


def screen_many(texts, *, kind: str = "post", region: str | None = None, profile: str | None = None) -> list[Verdict]:
    return [screen(t, kind=kind, region=region, profile=profile) for t in texts]


def warm_up() -> None:
    return None
