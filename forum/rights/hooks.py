"""Extension points for areas that hold member data of their own.

An area that adds a table with member data (private support conversations,
notifications, ...) registers here, so closure, erasure and the data
download cover it without this package importing that area:

- ``on_account_removed(fn)``: ``fn(user, erase: bool, held: set[tuple[str, int]])``
  runs inside the closure transaction after the grace period. It must
  delete the member's rows of that area (and with ``erase``, what they
  wrote), except targets in ``held`` (content under a safeguarding hold).
- ``export_section(name)(fn)``: ``fn(user) -> list[dict]`` adds a section of
  JSON-ready records to the member's download. Only what the member wrote
  or what is about them *and visible to them*; never staff notes, other
  members' identities or reporters.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

REMOVERS: list[Callable[..., None]] = []
EXPORTERS: dict[str, Callable[[Any], list[dict[str, Any]]]] = {}


def on_account_removed(fn: Callable[..., None]) -> Callable[..., None]:
    REMOVERS.append(fn)
    return fn


def export_section(name: str) -> Callable[[Callable[[Any], list[dict[str, Any]]]], Callable[[Any], list[dict[str, Any]]]]:
    def register(fn: Callable[[Any], list[dict[str, Any]]]) -> Callable[[Any], list[dict[str, Any]]]:
        EXPORTERS[name] = fn
        return fn

    return register
