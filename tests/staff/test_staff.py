"""Staff area: permissions, cases, dashboard figures, break-glass, audit log."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEvent, Escalation, utcnow
from forum.staff import seal, services
from tests.review.helpers import post, review_for, verdict

STAFF_URLS = ("/staff/", "/staff/audit", "/staff/audit.csv", "/staff/access-log")


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_staff_pages_forbidden_below_staff(client, auth, users, role):
    auth.login_as(users[role])
    for url in STAFF_URLS:
        assert client.get(url).status_code == 403, url
    post(users["member"], verdict("hold", "imminent"))
    case = db.session.scalar(select(Escalation))
    assert client.post(f"/staff/cases/{case.id}", data={"action": "acknowledge",
                                                        "version": case.version}).status_code == 403
    assert client.get(f"/staff/members/{users['member'].id}/safety-contact").status_code == 403


def test_staff_acknowledges_case_over_http(client, auth, users):
    post(users["member"], verdict("hold", "imminent"))
    case = db.session.scalar(select(Escalation))
    auth.login_as(users["staff"])
    dash = client.get("/staff/").get_data(as_text=True)
    assert f"Case #{case.id}" in dash and "left to acknowledge" in dash and "<svg" in dash
    resp = client.post(f"/staff/cases/{case.id}", data={"action": "acknowledge", "version": case.version,
                                                        "risk_plan": "Says tonight"})
    assert resp.status_code == 302
    db.session.refresh(case)
    assert case.status == "acknowledged" and case.risk_plan == "Says tonight"
    stale = client.post(f"/staff/cases/{case.id}", data={"action": "start", "version": 1})
    assert stale.status_code == 409


def test_response_figures_percentiles(users):
    # Midday, so "an hour ago" is the same calendar day whenever the suite
    # runs (just after midnight it fell in yesterday's bar).
    now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    for minutes in (1, 2, 3, 4, 10):
        r = review_for(post(users["member"]))
        r.created_at = now - timedelta(hours=1)
        r.first_reviewed_at = r.created_at + timedelta(minutes=minutes)
    db.session.commit()
    fig = services.response_figures(now)
    assert fig["7d"]["first_review_p50"] == 180 and fig["7d"]["first_review_p90"] == 600
    assert fig["30d"]["first_review_n"] == 5
    chart = services.chart(services.daily_series(now=now))
    assert chart["bars"][-1]["volume"] == 5 and chart["line"]


def test_break_glass_is_audited_and_listed(client, auth, users):
    member = users["member"]
    seal.save_contact(member, "My sister Jo: 07700 900123", consent=True)
    assert b"07700" not in member.safety_contact_sealed  # encrypted at rest
    auth.login_as(users["staff"])
    url = f"/staff/members/{member.id}/safety-contact"
    assert "07700" not in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"reason": "short"}).status_code == 400
    page = client.post(url, data={"reason": "Case 12: imminent risk, no reply to messages"})
    assert "07700 900123" in page.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "safety_contact.break_glass"))
    assert event.actor_id == users["staff"].id and event.target_id == member.id and "Case 12" in event.reason
    auth.logout()
    auth.login_as(users["admin"])
    log = client.get("/staff/access-log").get_data(as_text=True)
    assert "Case 12: imminent risk" in log and users["staff"].handle in log


def test_member_safety_contact_form(client, auth, users):
    auth.login_as(users["member"])
    assert client.post("/account/safety", data={"contact": "x" * 501}).status_code == 400
    client.post("/account/safety", data={"contact": "Trusted friend Sam", "consent": "y"})
    db.session.refresh(users["member"])
    assert users["member"].safety_contact_sealed
    page = client.get("/account/safety").get_data(as_text=True)
    assert "sealed safety contact" in page and "Trusted friend Sam" not in page


def test_audit_filters_and_csv(client, auth, users):
    from forum import audit

    audit.record(users["moderator"], "review.approve", target_type="post", target_id=1, reason="=cmd()")
    audit.record(users["staff"], "case.acknowledge", target_type="escalation", target_id=2)
    db.session.commit()
    auth.login_as(users["admin"])
    page = client.get("/staff/audit?actor=ModeratorPerson").get_data(as_text=True)
    assert "review.approve" in page and "case.acknowledge" not in page
    resp = client.get("/staff/audit.csv?action=review.")
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "time_utc", "actor", "action"] and len(rows) == 2
    assert rows[1][6] == "'=cmd()"  # formula injection neutralised
