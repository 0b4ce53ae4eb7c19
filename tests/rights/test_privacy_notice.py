"""The privacy notice names the controller, lawful bases, retention, rights and
the complaints authority; registration and the safety contact record consent."""
from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import User

FORM = {"handle": "quiet_otter", "password": "a long enough password", "age_confirmed": "y",
        "guidelines_accepted": "y"}


def test_privacy_page_names_what_the_law_asks(client, app):
    page = client.get("/privacy").get_data(as_text=True)
    assert "has not filled in its name yet" in page  # says so plainly until the operator does
    app.config.update(KINDRED_PRIVACY_CONTROLLER="Riverside Peer Support CIO",
                      KINDRED_PRIVACY_CONTACT="privacy@riverside.example")
    page = client.get("/privacy").get_data(as_text=True)
    assert "Riverside Peer Support CIO" in page and "privacy@riverside.example" in page
    for words in ("explicitly agreed", "vital interests", "How long we keep it", "Download your data",
                  "Erase my account", "Information Commissioner", "one month"):
        assert words in page, words
    assert f"KINDRED_RETAIN_HELD_DAYS = {app.config['KINDRED_RETAIN_HELD_DAYS']}" in page


def test_registration_asks_explicit_consent_for_health_data(client):
    page = client.get("/auth/register").get_data(as_text=True)
    assert "process what I share about my health" in page and 'href="/privacy"' in page
    r = client.post("/auth/register", data=FORM)
    assert r.status_code == 400 and "explicit agreement" in r.get_data(as_text=True)
    assert 'value="quiet_otter"' in r.get_data(as_text=True)
    assert client.post("/auth/register", data={**FORM, "health_consent": "y"}).status_code == 302
    assert db.session.scalar(select(User).where(User.handle_key == "quiet_otter")).health_consent_at is not None


def test_safety_contact_records_its_own_consent(client, auth, users):
    auth.login_as(users["member"])
    r = client.post("/account/safety", data={"contact": "My sister, 07700 900111"})
    assert r.status_code == 400 and "07700 900111" in r.get_data(as_text=True)
    db.session.refresh(users["member"])
    assert users["member"].safety_contact_sealed is None
    client.post("/account/safety", data={"contact": "My sister, 07700 900111", "consent": "y"})
    db.session.refresh(users["member"])
    assert users["member"].safety_contact_sealed and users["member"].safety_contact_consent_at
    assert "You agreed to its use on" in client.get("/account/safety").get_data(as_text=True)
    client.post("/account/safety", data={"contact": ""})  # removing it removes the consent record too
    db.session.refresh(users["member"])
    assert users["member"].safety_contact_consent_at is None
