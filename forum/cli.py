"""Flask CLI commands: ``flask seed-demo``, ``flask users create``."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    return None
