"""Outgoing mail: SMTP in production, or files in a directory.

The file backend (``KINDRED_MAIL_BACKEND=file``) writes each message as an
``.eml`` file under ``KINDRED_MAIL_DIR``: for development without a mail
server, and for tests, which read what the app would have sent without any
SMTP server at all. Only ever called from outbox handlers and jobs, never
inside a request.
"""
from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


def enabled() -> bool:
    """Whether anything can be sent (a member's email setting waits until it can)."""
    cfg = current_app.config
    return cfg.get("MAIL_BACKEND") == "file" or bool(cfg.get("SMTP_HOST"))


def send(msg: EmailMessage) -> None:
    cfg = current_app.config
    if cfg.get("MAIL_BACKEND") == "file":
        folder = Path(cfg["MAIL_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{uuid.uuid4().hex}.tmp"
        tmp.write_bytes(bytes(msg))
        # Renamed into place whole, so a reader never sees half a message.
        tmp.rename(folder / f"{uuid.uuid4().hex}.eml")
        return
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg.get("SMTP_TIMEOUT", 10)) as smtp:
        smtp.send_message(msg)


def sent(folder: str | Path) -> list[EmailMessage]:
    """Messages the file backend wrote to ``folder``, oldest first."""
    from email import policy
    from email.parser import BytesParser

    files = sorted(Path(folder).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in files]
