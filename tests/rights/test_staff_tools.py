"""Staff side of data rights: subject-access requests with a one-month
deadline, and the data inventory generated from the models."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import AccessRequest, AuditEvent
from forum.models import base as clock
from forum.rights import access
from tests.rights.conftest import HANDLE


def test_one_month_is_a_calendar_month():
    assert access.one_month_after(datetime(2026, 1, 31, 12, tzinfo=UTC)) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert access.one_month_after(datetime(2026, 12, 5, 9, tzinfo=UTC)) == datetime(2027, 1, 5, 9, tzinfo=UTC)


def test_subject_access_request_from_finding_to_response(client, auth, users, life, monkeypatch):
    auth.login_as(users["staff"])
    page = client.get("/staff/privacy/requests?handle=memberperson").get_data(as_text=True)
    assert f"Open a request for {HANDLE}" in page
    assert "No account has that name" in client.get("/staff/privacy/requests?handle=nobody").get_data(as_text=True)
    r = client.post("/staff/privacy/requests", data={"user_id": users["member"].id})
    assert r.status_code == 302
    req = db.session.scalar(select(AccessRequest))
    assert req.due_at == access.one_month_after(req.received_at)
    page = client.get(f"/staff/privacy/requests/{req.id}").get_data(as_text=True)
    # What the download holds: named posts shown, anonymous ones only counted.
    assert "Quokka opening words" in page and "Quokka anonymous" not in page
    assert "days left to respond" in page
    # A future response date is refused, and the staff member's text comes back.
    tomorrow_plus = (clock.utcnow() + timedelta(days=3)).date().isoformat()
    r = client.post(f"/staff/privacy/requests/{req.id}", data={"staff_records": "Case summary, reviewed.",
                                                                "responded": tomorrow_plus})
    assert r.status_code == 400 and "Case summary, reviewed." in r.get_data(as_text=True)
    today = clock.utcnow().date().isoformat()
    r = client.post(f"/staff/privacy/requests/{req.id}", data={"staff_records": "Case summary, reviewed.",
                                                                "responded": today})
    assert r.status_code == 302
    db.session.expire_all()
    req = db.session.get(AccessRequest, req.id)
    assert req.responded_at is not None and req.staff_records == "Case summary, reviewed."
    actions = {e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("access_request.%")))}
    assert actions == {"access_request.opened", "access_request.responded"}
    assert "answered" in client.get("/staff/privacy/requests").get_data(as_text=True)


def test_an_unanswered_request_shows_overdue(client, auth, users, monkeypatch):
    auth.login_as(users["staff"])
    client.post("/staff/privacy/requests", data={"user_id": users["member"].id})
    later = clock.utcnow() + timedelta(days=40)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    page = client.get("/staff/privacy/requests").get_data(as_text=True)
    assert "overdue by" in page and "timer overdue" in page


def test_inventory_covers_every_table_from_the_models(client, auth, users, app):
    entries = access.inventory()
    assert {e.table for e in entries} == set(db.metadata.tables)
    undescribed = [e.table for e in entries if e.holds.startswith("NOT DESCRIBED")]
    assert not undescribed, f"add __privacy__ (forum.models.base.Privacy) to the models of: {undescribed}"
    auth.login_as(users["staff"])
    page = client.get("/staff/privacy/inventory").get_data(as_text=True)
    for table in db.metadata.tables:
        assert f"<code>{table}</code>" in page
    assert f"KINDRED_RETAIN_HELD_DAYS = {app.config['KINDRED_RETAIN_HELD_DAYS']}" in page


def test_docs_privacy_lists_every_table_and_readme_links_it():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "privacy.md").read_text()
    missing = [t for t in db.metadata.tables if f"| `{t}` |" not in doc]
    assert not missing, f"docs/privacy.md's inventory lacks {missing} (regenerate it from access.inventory())"
    assert "(docs/privacy.md)" in (root / "README.md").read_text()
