"""Review-queue use cases: enqueue, priority, flags, claims, actions, permissions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.errors import NotAllowed, InvalidInput, StaleItem
from forum.extensions import db
from forum.models import (
    AuditEvent, ContentStatus, Escalation, Flag, MemberNotice, Outbox, Presence, PostRevision, ReviewEvent,
    Sanction, utcnow,
)
from forum.review import services
from moderation.verdict import Reason
from tests.conftest import make_user
from tests.review.helpers import post, review_for, verdict


@pytest.fixture()
def ready(users):
    for u in users.values():
        u.resources_read_at = utcnow()
    db.session.commit()
    return users


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_publish_needs_no_review(users):
    p = post(users["member"], verdict("publish", "none", ()))
    assert review_for(p) is None


def test_flagged_content_is_enqueued_with_reasons_and_deadline(users):
    p = post(users["member"], verdict("publish_flagged", "high"))
    r = review_for(p)
    assert r.status == "pending" and r.risk == "high"
    assert r.priority == services.TIER_BASE["high"]
    assert r.reasons[0]["source"] == "pipeline" and r.reasons[0]["start"] >= 0
    assert r.due_at - r.created_at == timedelta(seconds=900)
    assert count(ReviewEvent, ReviewEvent.review_id == r.id, ReviewEvent.action == "enqueued") == 1


def test_imminent_opens_case_and_outbox_row_in_same_transaction(users):
    p = post(users["member"], verdict("hold", "imminent"))
    r = review_for(p)
    case = db.session.scalar(select(Escalation).where(Escalation.review_id == r.id))
    assert case.status == "open" and case.risk == "imminent" and case.opened_by_id is None
    assert case.due_at - case.created_at == timedelta(minutes=5)
    row = db.session.scalar(select(Outbox).where(Outbox.kind == "escalation.opened"))
    assert row.payload == {"escalation_id": case.id}
    # Relayed right after the commit (immediate mode in tests).
    assert row.processed_at is not None


def test_premoderation_reason_when_board_holds_a_clean_post(users):
    p = post(users["member"], verdict("publish", "none", ()), action="hold")
    r = review_for(p)
    assert [x["code"] for x in r.reasons] == ["premoderation"]
    assert p.status == ContentStatus.HELD


def test_queue_order_by_tier_then_age(users):
    concern = post(users["member"], verdict("publish_flagged", "concern"))
    abuse = post(users["member"], verdict("publish_flagged", "none", ("insult",)))
    imminent = post(users["member"], verdict("hold", "imminent"))
    high = post(users["member"], verdict("publish_flagged", "high"))
    encourage = post(users["member"], verdict("hold", "high", ("harm_encouragement",)))
    high2 = post(users["member"], verdict("publish_flagged", "high"))
    order = [r.target_id for r in services.queue()]
    assert order == [imminent.id, encourage.id, high.id, high2.id, abuse.id, concern.id]


def test_a_threat_is_read_at_high_priority_with_or_without_other_abuse(users):
    def held(*codes: str):
        text = "I know where you live and I'm coming for your family."
        reasons = tuple(Reason(c, 0, 20, text[:20], "Reads as a threat.") for c in codes)
        return review_for(post(users["member"], verdict("hold", "none", codes, text=text, reasons=reasons)))

    insult = held("abuse.toxic")
    threat = held("abuse.threat")
    both = held("abuse.identity", "abuse.threat")
    assert insult.priority == services.TIER_BASE["abuse"]
    assert threat.priority == both.priority == services.TIER_BASE["high"]
    assert services.sla_for(services.review_tier(threat)) == services.sla_for("high")
    assert [r.target_id for r in services.queue()][:2] == [threat.target_id, both.target_id]


def test_out_of_hours_holds_high_items_until_a_moderator_is_online(users):
    v = verdict("publish_flagged", "high")
    assert services.effective_action(v, kind="post") == "hold"
    assert services.effective_action(verdict("publish_flagged", "concern"), kind="post") == "publish_flagged"
    db.session.add(Presence(sid="abc", user_id=users["moderator"].id, namespace="/mod"))
    db.session.commit()
    assert services.effective_action(v, kind="post") == "publish_flagged"
    # A member's socket doesn't count, nor does a stale moderator heartbeat.
    db.session.get(Presence, "abc").last_seen_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert services.effective_action(v, kind="post") == "hold"


def test_out_of_hours_hold_notifies_on_call(users):
    p = post(users["member"], verdict("publish_flagged", "high"), action="hold")
    r = review_for(p)
    assert "out_of_hours" in [x["code"] for x in r.reasons]
    assert count(Outbox, Outbox.kind == "oncall.notify") == 1


# -- flags --------------------------------------------------------------------

def _established(user):
    """Old enough, with enough approved posts, for reports to count towards hiding."""
    user.created_at = utcnow() - timedelta(days=30)
    user.approved_post_count = 10
    db.session.commit()
    return user


def test_flag_dedup_priority_and_auto_hide(app, users):
    app.config["KINDRED_AUTO_HIDE_FLAGS"] = 3
    p = post(users["member"], verdict("publish", "none", ()))
    reporters = [_established(u) for u in (users["member2"], make_user("Third"), make_user("Fourth"))]
    r = services.flag("post", p, reporters[0], "unkind")
    db.session.commit()
    first_priority = r.priority
    assert r.priority == services.TIER_BASE["abuse"] + services.FLAG_BONUS
    services.flag("post", p, reporters[0], "spam")  # same reporter again: nothing added
    db.session.commit()
    assert count(Flag, Flag.review_id == r.id) == 1 and r.priority == first_priority
    services.flag("post", p, reporters[1], "unkind")
    db.session.commit()
    assert r.priority > first_priority and p.status == ContentStatus.VISIBLE
    services.flag("post", p, reporters[2], "other", "Feels like a scam link")
    db.session.commit()
    assert count(Flag, Flag.review_id == r.id) == 3
    assert p.status == ContentStatus.HIDDEN and p.moderator_note == services.AUTO_HIDDEN_NOTE
    assert "auto_hidden" in [x["code"] for x in r.reasons]


def test_flag_validation(users):
    p = post(users["member"], verdict("publish", "none", ()))
    with pytest.raises(InvalidInput):
        services.flag("post", p, users["member2"], "nonsense")
    with pytest.raises(InvalidInput):
        services.flag("post", p, users["member2"], "other", "  ")
    with pytest.raises(InvalidInput):
        services.flag("post", p, users["member"], "spam")  # own post


def test_dismiss_flags_restores_auto_hidden_post(app, ready):
    app.config["KINDRED_AUTO_HIDE_FLAGS"] = 1
    p = post(ready["member"], verdict("publish", "none", ()))
    r = services.flag("post", p, _established(ready["member2"]), "spam")
    db.session.commit()
    assert p.status == ContentStatus.HIDDEN
    services.perform(r, "dismiss_flags", ready["moderator"], r.version)
    assert p.status == ContentStatus.VISIBLE and r.status == "ignored"
    assert db.session.scalar(select(Flag.status)) == "dismissed"


# -- claims and actions -----------------------------------------------------------

def test_claim_blocks_other_moderators_and_expires(app, ready):
    other = make_user("ModTwo", "moderator", resources_read_at=utcnow())
    r = review_for(post(ready["member"]))
    services.claim(r, ready["moderator"], r.version)
    assert r.claimed_by_id == ready["moderator"].id
    with pytest.raises(StaleItem):
        services.claim(r, other, r.version)
    assert services.available_actions(r, other) == []
    with pytest.raises(StaleItem):
        services.perform(r, "approve", other, r.version)
    r.claimed_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    services.claim(r, other, r.version)
    assert r.claimed_by_id == other.id


def test_stale_version_is_a_conflict(ready):
    r = review_for(post(ready["member"]))
    old = r.version
    services.perform(r, "message", ready["moderator"], old, message="Thinking of you.")
    with pytest.raises(StaleItem):
        services.perform(r, "approve", ready["moderator"], old)


def _history_and_audit(r, action):
    assert count(ReviewEvent, ReviewEvent.review_id == r.id, ReviewEvent.action == action) == 1
    assert count(AuditEvent, AuditEvent.action == f"review.{action}") == 1


def test_approve_publishes_held_post(ready):
    p = post(ready["member"], verdict("hold", "concern"))
    r = review_for(p)
    services.perform(r, "approve", ready["moderator"], r.version, "Fine to publish")
    assert p.status == ContentStatus.VISIBLE and r.status == "approved" and r.first_reviewed_at
    _history_and_audit(r, "approve")


def test_reject_keeps_hidden_with_kind_note_and_notice(ready):
    p = post(ready["member"], verdict("publish_flagged", "high"))
    r = review_for(p)
    services.perform(r, "reject", ready["moderator"], r.version, author_note="We hid this for now, kindly.")
    assert p.status == ContentStatus.HIDDEN and r.status == "rejected"
    assert p.moderator_note == "We hid this for now, kindly." and p.body_source  # the text is kept
    assert db.session.scalar(select(MemberNotice.kind)) == "hidden"
    _history_and_audit(r, "reject")
    # The author revises through the forum core: it goes back to a human, text kept as a revision.
    from forum.boards import services as boards

    boards.edit_post(ready["member"], boards.PostEdit(post_id=p.id, body="Rough day, but I'm okay for now."))
    assert r.status == "pending" and p.status == ContentStatus.HELD
    assert "resubmitted" in [x["code"] for x in r.reasons]


def test_restore_after_reject(ready):
    p = post(ready["member"])
    r = review_for(p)
    services.perform(r, "reject", ready["moderator"], r.version)
    assert services.available_actions(r, ready["moderator"])[0] == "restore"
    services.perform(r, "restore", ready["moderator"], r.version)
    assert p.status == ContentStatus.VISIBLE and r.status == "approved"


def test_edit_keeps_revision_and_rescreens(ready):
    p = post(ready["member"])
    r = review_for(p)
    with pytest.raises(InvalidInput):
        services.perform(r, "edit", ready["moderator"], r.version, text="Calmer words")  # no reason
    db.session.rollback()
    services.perform(r, "edit", ready["moderator"], r.version, "Removed a detail", text="Having a really hard night.")
    assert p.body_source == "Having a really hard night." and "<p>" in p.body_html
    rev = db.session.scalar(select(PostRevision))
    assert rev.body_source.startswith("I want to kill myself") and rev.reason == "Removed a detail"
    _history_and_audit(r, "edit")


def test_content_warning_and_message(ready):
    p = post(ready["member"])
    r = review_for(p)
    services.perform(r, "content_warning", ready["moderator"], r.version, content_warning="Suicidal feelings")
    assert p.content_warning == "Suicidal feelings"
    services.perform(r, "message", ready["moderator"], r.version, message="I'm here if you want to talk.")
    notice = db.session.scalar(select(MemberNotice))
    assert notice.user_id == ready["member"].id and notice.body.startswith("I'm here")


def test_escalate_opens_case_once(ready):
    p = post(ready["member"], verdict("publish_flagged", "high"))
    r = review_for(p)
    services.perform(r, "escalate", ready["moderator"], r.version, "Mentions tonight", risk="high")
    assert r.status == "escalated"
    case = db.session.scalar(select(Escalation))
    assert case.opened_by_id == ready["moderator"].id and case.notes == "Mentions tonight"
    services.perform(r, "escalate", ready["moderator"], r.version, "More detail", risk="imminent")
    assert count(Escalation) == 1 and case.risk == "imminent"


def test_sanctions_and_penalty_history(ready):
    member = ready["member"]
    r = review_for(post(member))
    services.perform(r, "warn", ready["moderator"], r.version, "Please be kind")
    services.perform(r, "silence", ready["moderator"], r.version, "Cooling off", hours=24)
    assert member.is_silenced() and not member.is_suspended()
    with pytest.raises(NotAllowed):
        services.perform(r, "suspend", ready["moderator"], r.version, "Repeated abuse", days=7)
    db.session.rollback()
    services.perform(r, "suspend", ready["staff"], r.version, "Repeated abuse", days=7)
    assert member.is_suspended()
    assert [s.kind for s in db.session.scalars(select(Sanction).order_by(Sanction.id))] == ["warn", "silence", "suspend"]
    assert count(AuditEvent, AuditEvent.action.like("sanction.%")) == 3
    history = services.author_history(review_for(post(member)), ready["moderator"])
    assert len(history["sanctions"]) == 3


def test_permission_matrix(ready):
    r = review_for(post(ready["member"], verdict("hold", "imminent")))
    case = db.session.scalar(select(Escalation))
    assert services.available_actions(r, ready["member2"]) == []
    with pytest.raises(NotAllowed):
        services.perform(r, "approve", ready["member2"], r.version)
    with pytest.raises(NotAllowed):
        services.claim(r, ready["member2"], r.version)
    for who in ("member2", "moderator"):
        with pytest.raises(NotAllowed):
            services.update_case(case, "acknowledge", ready[who], case.version)
    assert "suspend" not in services.available_actions(r, ready["moderator"])
    assert "suspend" in services.available_actions(r, ready["staff"])
    services.update_case(case, "acknowledge", ready["staff"], case.version)
    assert case.status == "acknowledged" and case.acknowledged_by_id == ready["staff"].id


def test_case_workflow_and_conflict(ready):
    post(ready["member"], verdict("hold", "imminent"))
    case = db.session.scalar(select(Escalation))
    v = case.version
    services.update_case(case, "start", ready["staff"], v, form={"risk_plan": "Mentioned tonight"})
    assert case.status == "in_progress" and case.risk_plan == "Mentioned tonight" and case.acknowledged_at
    with pytest.raises(StaleItem):
        services.update_case(case, "resolve", ready["staff"], v, outcome="x")
    with pytest.raises(InvalidInput):
        services.update_case(case, "resolve", ready["staff"], case.version, outcome=" ")
    db.session.rollback()
    follow = utcnow() + timedelta(days=2)
    services.update_case(case, "resolve", ready["staff"], case.version, outcome="Member safe, with family",
                         follow_up_at=follow)
    assert case.status == "resolved" and case.outcome and case.follow_up_at


def test_anonymous_history_hidden_unless_revealed(ready):
    member = ready["member"]
    named = post(member)
    anon = post(member, anonymous=True)
    r_named, r_anon = review_for(named), review_for(anon)
    # Staff too: only the audited reveal (forum.staff.reveal) links the two.
    for viewer in (ready["moderator"], ready["staff"]):
        assert services.author_history(r_anon, viewer) is None
        # A named post's history must not list the author's anonymous items.
        assert r_anon not in services.author_history(r_named, viewer)["items"]
    assert r_anon in services.author_history(r_named, ready["staff"], include_anonymous=True)["items"]


def test_hide_content_for_chat_and_posts(ready):
    p = post(ready["member"], verdict("publish", "none", ()), enqueue=False)
    services.hide_content("post", p, ready["moderator"], None)
    db.session.commit()
    assert p.status == ContentStatus.HIDDEN and p.moderator_note == services.DEFAULT_HIDDEN_NOTE
    assert count(AuditEvent, AuditEvent.action == "content.hidden") == 1


def test_shift_counter_counts_crisis_items(ready):
    start = utcnow() - timedelta(seconds=1)
    for _ in range(2):
        r = review_for(post(ready["member"]))
        services.perform(r, "approve", ready["moderator"], r.version)
    assert services.crisis_handled_since(ready["moderator"], start) == 2


def test_second_opinion_hides_published_content(monkeypatch, ready):
    import moderation

    p = post(ready["member"], verdict("publish", "none", ()), enqueue=False)
    monkeypatch.setattr(moderation, "second_opinion",
                        lambda text, v, **_where: verdict("hold", "none", ("insult",), text=text), raising=False)
    services.run_second_opinion("post", p.id)
    r = review_for(p)
    assert p.status == ContentStatus.HIDDEN and r.status == "pending"
    assert "second_opinion" in [x["code"] for x in r.reasons]
