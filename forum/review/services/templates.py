"""Response templates moderators start their messages from."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forum import audit
from forum.errors import InvalidInput, NotAllowed
from forum.extensions import db
from forum.models import ResponseTemplate


TEMPLATES_FILE = Path(__file__).resolve().parents[1] / "data" / "templates.json"


def response_templates() -> list[ResponseTemplate]:
    """The editable templates, seeded from the data file the first time."""
    rows = db.session.scalars(select(ResponseTemplate).order_by(ResponseTemplate.id)).all()
    if rows:
        return list(rows)
    for item in json.loads(TEMPLATES_FILE.read_text(encoding="utf-8")):
        db.session.add(ResponseTemplate(key=item["key"], title=item["title"], body=item["body"]))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return list(db.session.scalars(select(ResponseTemplate).order_by(ResponseTemplate.id)).all())


def save_template(template: ResponseTemplate, actor: Any, title: str, body: str) -> None:
    if not actor.is_moderator:
        raise NotAllowed("Only moderators can edit templates.")
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body or len(title) > 120 or len(body) > 4000:
        raise InvalidInput("A template needs a title (up to 120 characters) and a message.")
    template.title, template.body, template.updated_by_id = title, body, actor.id
    audit.record(actor, "template.updated", target_type="template", target_id=template.id)
    db.session.commit()
