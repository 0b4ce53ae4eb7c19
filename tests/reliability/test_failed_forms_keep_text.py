"""Issue 15, finding 2 (every form): a form that fails on the database
comes back as a form with the member's text and a calm message.

The app here points at a SQLite file that cannot be opened, so every
request that needs the database fails (loading the logged-in member comes
first). Each form must answer 503 with the text kept, the same action to
send it again, "Get help now", and never a password.
"""
from __future__ import annotations

import html

import pytest

from tests.conftest import config_class

TEXT = "I don't really know how to say this, but today was one of the hard days."
FORMS = [
    ("/boards/topic/1/reply", {"body": TEXT, "anonymous": "y"}),
    ("/boards/general/new", {"title": "A hard day", "body": TEXT}),
    ("/boards/post/1/edit", {"body": TEXT, "reason": "added more"}),
    ("/review/flag/post/1", {"reason": "worried", "details": TEXT}),
    ("/chat/rooms/new", {"name": "Evening room", "slug": "evening", "description": TEXT}),
    ("/account/profile", {"bio": TEXT}),
    ("/account/password", {"current_password": "secret words", "new_password": "other secret", "note": TEXT}),
]


@pytest.fixture()
def broken_client(app_config, tmp_path):
    from forum import create_app

    # Not run again on the lost database (forum.dbretry): this test is about the last answer.
    app = create_app(config_class(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/db.sqlite3",
                                  KINDRED_DB_READ_RETRY_SECONDS=0))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:a-login-token"  # "<user id>:<session token>" (forum.auth.sessions)
        session["_fresh"] = True
    return client


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[p for p, _ in FORMS])
def test_failed_form_comes_back_with_the_text(broken_client, path, data):
    res = broken_client.post(path, data={**data, "submission_key": "k-123"}, headers={"Accept-Language": "en-GB"})
    page = html.unescape(res.get_data(as_text=True))
    assert res.status_code == 503
    assert "we couldn't save this, please try again" in page.lower()
    assert TEXT in page
    assert f'action="{path}"' in page
    assert 'name="submission_key" value="k-123"' in page  # the resubmit is recognised (finding 7)
    assert "Get help now" in page and "Samaritans" in page
    assert "secret words" not in page and "other secret" not in page
