"""Issue 14.9: the rate-limit page keeps what the member typed and links back
to where they were (a same-site page only)."""
from __future__ import annotations

from tests.conftest import make_board

TEXT = "I've had a really hard week and\nI just wanted somewhere to say it."


def _flood(client, board, n: int, referrer: str | None = None):
    headers = {"Referer": referrer} if referrer else {}
    r = None
    for i in range(n):
        r = client.post(f"/boards/{board.slug}/new", data={"title": f"A hard week {i}", "body": TEXT},
                        headers=headers)
    return r


def test_the_429_page_gives_the_text_back_and_a_way_to_send_it_again(client, auth, users, app):
    app.config["KINDRED_POST_LIMIT"] = "2 per minute"
    board = make_board()
    auth.login_as(users["member"])
    r = _flood(client, board, 3, referrer=f"http://localhost/boards/{board.slug}")
    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert "slow down a little" in page
    assert "I&#39;ve had a really hard week and\nI just wanted somewhere to say it.</textarea>" in page
    assert 'name="title"' in page and "A hard week 2" in page
    assert f'<form method="post" action="/boards/{board.slug}/new"' in page
    assert f'href="/boards/{board.slug}">Go back to where you were' in page


def test_a_foreign_referrer_is_not_linked(client, auth, users, app):
    app.config["KINDRED_POST_LIMIT"] = "1 per minute"
    board = make_board()
    auth.login_as(users["member"])
    r = _flood(client, board, 2, referrer="https://evil.example/phish")
    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert "evil.example" not in page
    assert 'href="/boards/">Go back to where you were' in page


def test_passwords_are_never_put_back_in_the_page(client, app):
    app.config["KINDRED_REGISTER_LIMIT"] = "1 per minute"
    data = {"handle": "quiet_otter", "password": "a very secret passphrase", "age_confirmed": "y",
            "guidelines_accepted": "y", "health_consent": "y", "email": "not-an-email"}
    client.post("/auth/register", data=data)
    r = client.post("/auth/register", data=data)
    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert "a very secret passphrase" not in page and "quiet_otter" in page
