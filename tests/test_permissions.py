"""Route x role permission matrix over EVERY registered route.

Each endpoint is declared below with the least role that may use it. The
test walks ``app.url_map``: an endpoint that is neither declared nor
covered by a prefix rule FAILS the test, so nobody can add a route
without deciding who may use it.

To extend: add ``"blueprint.endpoint": LEVEL`` to ENDPOINTS (explicit
entries win over PREFIX_RULES), and a sample value for any new URL
argument name to ``_sample_args``.
"""
from __future__ import annotations

import pytest
from flask import g

from forum.extensions import db, limiter
from forum.models import ChatRoom, SupportConversation, utcnow
from tests.conftest import PASSWORD, post_topic

PUBLIC, LOGIN, OWNER, MODERATOR, STAFF, ADMIN = "public", "login", "owner", "moderator", "staff", "admin"

ENDPOINTS: dict[str, str] = {
    "static": PUBLIC,
    # pages
    "pages.home": PUBLIC, "pages.about": PUBLIC, "pages.guidelines": PUBLIC, "pages.privacy": PUBLIC,
    "pages.help": PUBLIC, "pages.healthz": PUBLIC, "pages.young_people": PUBLIC,
    # auth
    "auth.login": PUBLIC, "auth.register": PUBLIC,
    "auth.forgot_password": PUBLIC, "auth.reset_password": PUBLIC, "auth.logout": LOGIN,
    # account
    "account.index": LOGIN, "account.profile": LOGIN, "account.password": LOGIN, "account.deactivate": LOGIN,
    "account.log_out_everywhere": LOGIN,
    "account.safety": LOGIN, "account.notices": LOGIN,
    # boards
    "boards.index": PUBLIC, "boards.board": PUBLIC, "boards.topic": PUBLIC, "boards.post": PUBLIC,
    "boards.member": PUBLIC, "boards.new_topic": LOGIN, "boards.reply": LOGIN, "boards.support": LOGIN,
    "boards.edit": OWNER, "boards.delete": OWNER, "boards.revisions": MODERATOR,
    # review: members may flag content; everything else is the moderators' queue
    "review.flag": LOGIN,
    # chat: the room list and open rooms can be read without an account
    "chat.index": PUBLIC, "chat.room": PUBLIC, "chat.messages": PUBLIC,
    "chat.create": STAFF, "chat.edit": STAFF,
    # private support conversations: a member's own (others get 404), and the moderation team's side
    "conversations.mine": LOGIN, "conversations.start": LOGIN, "conversations.view": LOGIN,
    "conversations.reply": LOGIN, "conversations.close": LOGIN,
    "conversations.team": MODERATOR, "conversations.open_conversation": MODERATOR,
    "conversations.team_view": MODERATOR, "conversations.team_reply": MODERATOR,
    "conversations.join": MODERATOR, "conversations.team_close": MODERATOR,
    # data rights: the member's own data; the staff side of requests
    "rights.request_export": LOGIN, "rights.health_consent": LOGIN, "rights.download_export": LOGIN, "rights.erasure_queue": STAFF,
    "rights.access_requests": STAFF, "rights.open_access_request": STAFF, "rights.access_request": STAFF,
    "rights.inventory": STAFF,
    # search: the same posts a visitor can read, found by their words
    "search.index": PUBLIC,
    # notifications: a member's own (someone else's is a 404)
    "notifications.index": LOGIN, "notifications.open": LOGIN, "notifications.post": LOGIN,
    "notifications.read_all": LOGIN, "notifications.topic_level": LOGIN, "notifications.ignore": LOGIN,
    "notifications.settings": LOGIN, "notifications.board_level": LOGIN,
    # the emails' unsubscribe link: the signed token is the authority, no login
    "notifications.unsubscribe": PUBLIC, "notifications.unsubscribe_confirm": PUBLIC,
}

# Endpoints not listed above get the level of the first matching prefix.
PREFIX_RULES: list[tuple[str, str]] = [("review.", MODERATOR), ("staff.", STAFF), ("chat.", LOGIN)]

ROLES = (None, "member", "moderator", "staff", "admin")
RANK = {None: -1, "member": 0, "moderator": 1, "staff": 2, "admin": 3}
NEEDS = {PUBLIC: None, LOGIN: "member", OWNER: "member", MODERATOR: "moderator", STAFF: "staff", ADMIN: "admin"}


def level_for(endpoint: str) -> str | None:
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    for prefix, level in PREFIX_RULES:
        if endpoint.startswith(prefix):
            return level
    return None


def test_every_route_is_declared(app):
    undeclared = sorted({r.endpoint for r in app.url_map.iter_rules() if level_for(r.endpoint) is None})
    assert not undeclared, f"declare these endpoints in tests/test_permissions.py ENDPOINTS: {undeclared}"


def test_declared_endpoints_exist(app):
    registered = {r.endpoint for r in app.url_map.iter_rules()}
    stale = sorted(set(ENDPOINTS) - registered)
    assert not stale, f"ENDPOINTS lists routes that no longer exist: {stale}"


def _sample_args(ids: dict[str, object]) -> dict[str, object]:
    return {
        "slug": "general", "topic_id": ids["topic"], "post_id": ids["post"], "handle": "OtherMember",
        "filename": "css/kindred.css", "target_type": "post", "target_id": ids["post"],
        "user_id": ids["member"], "review_id": 1, "case_id": 1, "req_id": 1, "template_id": 1,
        "token": "not-a-valid-token", "notification_id": 1, "kind": "post", "item_id": ids["post"],
        "conversation_id": ids["conversation"],
    }


def _allowed(role: str | None, level: str) -> bool:
    need = NEEDS[level]
    if level == OWNER:
        return False  # the sample post belongs to member2, who is not one of ROLES
    return need is None or (role is not None and RANK[role] >= RANK[need])


def _cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        yield rule, ("GET" if "GET" in methods else methods[0])


def test_permission_matrix(app, users, board, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    owner = users["member2"]
    posted = post_topic(owner, board, body="A post for the permission matrix.")
    db.session.add(ChatRoom(slug="general", name="General chat", access="open"))
    db.session.commit()
    # A conversation between member2 (not one of ROLES) and the team: the member
    # pages answer 404 to everyone else, the team pages 200 to moderators.
    conv = SupportConversation(member_id=owner.id, is_anonymous=False, status="open", created_at=utcnow())
    db.session.add(conv)
    db.session.commit()
    ids = {"topic": posted.topic.id, "post": posted.post.id, "member": users["member"].id, "conversation": conv.id}
    samples = _sample_args(ids)
    failures = []
    for rule, method in _cases(app):
        level = level_for(rule.endpoint)
        url = rule.build({k: samples[k] for k in rule.arguments}, append_unknown=False)[1]
        for role in ROLES:
            # The fixture keeps one app context open, and Flask-Login caches the
            # user on ``g`` there: forget it so each request is judged afresh.
            g.pop("_login_user", None)
            client = app.test_client()
            if role:
                client.post("/auth/login", data={"handle": users[role].handle, "password": PASSWORD})
            g.pop("_login_user", None)
            r = client.open(url, method=method, data={})
            r.close()
            to_login = r.status_code in (301, 302, 303) and "/auth/login" in r.headers.get("Location", "")
            denied = r.status_code in (401, 403) or to_login
            if _allowed(role, level):
                if denied:
                    failures.append(f"{method} {url} ({rule.endpoint}, {level}) refused {role}: {r.status_code}")
            elif role is None and not (to_login or r.status_code in (401, 403, 404)):
                failures.append(f"{method} {url} ({rule.endpoint}, {level}) open to logged-out visitors: {r.status_code}")
            elif role is not None and r.status_code not in (403, 404):
                failures.append(f"{method} {url} ({rule.endpoint}, {level}) open to {role}: {r.status_code}")
    assert not failures, "\n".join(failures)


def test_owner_routes_allow_the_owner(app, users, board):
    posted = post_topic(users["member2"], board)
    client = app.test_client()
    client.post("/auth/login", data={"handle": users["member2"].handle, "password": PASSWORD})
    for endpoint, level in ENDPOINTS.items():
        if level == OWNER:
            rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
            url = rule.build({"post_id": posted.post.id})[1]
            assert client.get(url).status_code == 200, endpoint


@pytest.mark.parametrize("endpoint", sorted(e for e, lvl in ENDPOINTS.items() if lvl == PUBLIC and e != "static"))
def test_public_entries_are_deliberate(endpoint):
    # A reminder in the report that these are open to the world, by design.
    assert level_for(endpoint) == PUBLIC
