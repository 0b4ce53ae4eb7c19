"""Staff see the account behind anonymous content only through an audited reveal.

Revealing writes an audit row (who, when, which item, why) before the
account is shown, and only the answer to that POST shows it. From an open
crisis case about the item it is one click; anywhere else a short reason
is required.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditEvent, Escalation, Post, utcnow
from forum.review import services
from tests.review.helpers import post, review_for, verdict

HANDLE = "MemberPerson"


def _reveals() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "anonymity.reveal")))


@pytest.fixture()
def crisis(app, users):
    """An anonymous imminent-risk post, with its open crisis case."""
    users["staff"].resources_read_at = utcnow()
    db.session.commit()
    p = post(users["member"], verdict("hold", "imminent"), anonymous=True)
    case = db.session.scalar(select(Escalation).where(Escalation.target_id == p.id))
    return {"post": p.id, "case": case.id}


def test_a_reason_is_required_away_from_a_crisis_case(client, auth, users, crisis):
    auth.login_as(users["staff"])
    form = client.get(f"/staff/reveal/post/{crisis['post']}")
    assert form.status_code == 200 and HANDLE not in form.get_data(as_text=True)
    r = client.post(f"/staff/reveal/post/{crisis['post']}", data={"reason": "  "})
    assert r.status_code == 400 and HANDLE not in r.get_data(as_text=True)
    assert "short reason" in r.get_data(as_text=True)
    too_long = "x" * 201
    r = client.post(f"/staff/reveal/post/{crisis['post']}", data={"reason": too_long})
    assert r.status_code == 400 and too_long in r.get_data(as_text=True)  # kept in the form
    assert _reveals() == []


def test_reveal_writes_who_when_which_item_and_why(client, auth, users, crisis):
    auth.login_as(users["staff"])
    before = utcnow()
    r = client.post(f"/staff/reveal/post/{crisis['post']}", data={"reason": "Safeguarding check"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and HANDLE in body and "recorded in the audit log" in body
    [row] = _reveals()
    assert row.actor_id == users["staff"].id and row.created_at >= before
    assert (row.target_type, row.target_id, row.reason) == ("post", crisis["post"], "Safeguarding check")
    # The audit log shows the row but not the account.
    log = client.get("/staff/audit").get_data(as_text=True)
    assert "anonymity.reveal" in log and HANDLE not in log


def test_one_click_from_an_open_crisis_case(client, auth, users, crisis):
    auth.login_as(users["staff"])
    page = client.get(f"/staff/cases/{crisis['case']}").get_data(as_text=True)
    assert HANDLE not in page and "Show who posted this" in page
    assert f'name="case" value="{crisis["case"]}"' in page and 'name="reason"' not in page
    r = client.post(f"/staff/reveal/post/{crisis['post']}", data={"case": crisis["case"]})
    assert r.status_code == 200 and HANDLE in r.get_data(as_text=True)
    [row] = _reveals()
    assert row.reason == f"Crisis case #{crisis['case']}" and row.data["case_id"] == crisis["case"]


def test_a_resolved_or_unrelated_case_still_needs_a_reason(client, auth, users, crisis):
    other = post(users["member"], verdict("publish_flagged", "high"), anonymous=True)
    auth.login_as(users["staff"])
    r = client.post(f"/staff/reveal/post/{other.id}", data={"case": crisis["case"]})
    assert r.status_code == 400 and HANDLE not in r.get_data(as_text=True)
    case = db.session.get(Escalation, crisis["case"])
    services.update_case(case, "resolve", users["staff"], case.version, outcome="Safe; spoke with them.")
    r = client.post(f"/staff/reveal/post/{crisis['post']}", data={"case": crisis["case"]})
    assert r.status_code == 400 and HANDLE not in r.get_data(as_text=True)
    assert _reveals() == []


@pytest.mark.parametrize("viewer", [None, "member2", "moderator"])
def test_nobody_but_staff_can_reveal(client, auth, users, crisis, viewer):
    if viewer:
        auth.login_as(users[viewer])
    r = client.post(f"/staff/reveal/post/{crisis['post']}", data={"reason": "I would like to know"})
    assert r.status_code in (302, 403) and HANDLE not in r.get_data(as_text=True)
    assert _reveals() == []


def test_named_content_has_nothing_to_reveal(client, auth, users, crisis):
    named = post(users["member"], verdict("publish_flagged", "high"))
    auth.login_as(users["staff"])
    assert client.post(f"/staff/reveal/post/{named.id}", data={"reason": "Checking"}).status_code == 404
    assert client.post("/staff/reveal/user/1", data={"reason": "Checking"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "anonymity.reveal")) == 0


def test_review_item_offers_the_reveal_to_staff_only(client, auth, users, crisis):
    item = review_for(db.session.get(Post, crisis["post"]))
    users["moderator"].resources_read_at = utcnow()
    db.session.commit()
    auth.login_as(users["staff"])
    page = client.get(f"/review/{item.id}").get_data(as_text=True)
    assert "Show who posted this" in page and HANDLE not in page
    auth.logout()
    auth.login_as(users["moderator"])
    assert "Show who posted this" not in client.get(f"/review/{item.id}").get_data(as_text=True)
