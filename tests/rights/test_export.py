"""Download my data: a ZIP built by a job, JSON and HTML, linked for a day,
rate-limited, with nothing of anyone else's in it."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import DataExport, Outbox
from forum.models import base as clock
from forum.rights import erasure, export, retention
from tests.rights.conftest import EMAIL, STAFF_ONLY


def _download(client):
    page = client.get("/account/").get_data(as_text=True)
    assert "Download your data (ZIP)" in page, page
    start = page.index("/account/data/")
    url = page[start:page.index('"', start)]
    r = client.get(url)
    body = r.data
    r.close()
    assert r.status_code == 200 and r.mimetype == "application/zip"
    return url, zipfile.ZipFile(io.BytesIO(body))


def test_download_holds_what_the_member_wrote_and_nothing_of_others(client, auth, users, life):
    auth.login_as(users["member"])
    assert "Prepare my download" in client.get("/account/").get_data(as_text=True)
    r = client.post("/account/data/export")
    assert r.status_code == 302
    _url, zf = _download(client)
    assert sorted(zf.namelist()) == ["kindred-data.html", "kindred-data.json"]
    data = json.loads(zf.read("kindred-data.json"))
    page = zf.read("kindred-data.html").decode()
    assert data["settings"]["email"] == EMAIL and data["profile"]["handle"] == "MemberPerson"
    texts = {p["text"] for p in data["posts"]}
    assert {"Quokka opening words, about my evening.", "Quokka reply, edited.", "Quokka anonymous words."} <= texts
    anon = next(p for p in data["posts"] if p["text"] == "Quokka anonymous words.")
    assert anon["anonymous"] is True and "posted anonymously" in page
    edited = next(p for p in data["posts"] if p["text"] == "Quokka reply, edited.")
    assert edited["earlier_versions"][0]["text"] == "Quokka reply first version."
    assert data["chat_messages"][0]["text"] == "Quokka chat words for everyone."
    assert data["reactions"] and data["reports_made"][0]["details"] == "Quokka report details"
    assert data["messages_from_moderators"] and data["profile"]["safety_contact"]["saved"] is True
    assert "Quokka opening words" in page and "Quokka chat words" in page
    (conv,) = data["private_conversations"]
    assert [(m["from"], m["text"]) for m in conv["messages"]] == [
        ("Moderation team", "We wanted to check in with you."), ("You", "Quokka private words to the team.")]
    # Never: staff notes and risk assessments, other members' or moderators' identities,
    # who reported the member, the sealed contact itself.
    whole = json.dumps(data) + page
    for absent in (STAFF_ONLY, users["moderator"].handle, users["member2"].handle, users["staff"].handle,
                   "07700 900456"):
        assert absent not in whole, absent
    # The email (if any) says it is ready and nothing else; its address is scrubbed once sent.
    row = db.session.scalar(select(Outbox).where(Outbox.kind == "rights.export_ready_email"))
    assert row is not None and row.processed_at is not None and row.payload == {}


def test_link_is_the_members_alone_and_lasts_a_day(client, auth, users, life, monkeypatch):
    auth.login_as(users["member"])
    client.post("/account/data/export")
    url, _zf = _download(client)
    auth.logout()
    auth.login_as(users["member2"])
    assert client.get(url).status_code == 404
    auth.logout()
    assert client.get(url).status_code == 302  # login first
    later = clock.utcnow() + timedelta(hours=25)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    auth.login_as(users["member"])
    assert client.get(url).status_code == 404
    assert "Prepare my download" in client.get("/account/").get_data(as_text=True)
    # The retention pass deletes the file and the row, once.
    name = db.session.scalar(select(DataExport)).filename
    assert (erasure.export_dir() / name).is_file()
    assert retention.run_all()["exports_expired"] == 1
    assert not (erasure.export_dir() / name).exists()
    assert retention.run_all()["exports_expired"] == 0


def test_downloads_are_rate_limited(client, auth, users, app):
    app.config["KINDRED_EXPORT_LIMIT"] = "2 per day"
    auth.login_as(users["member"])
    assert client.post("/account/data/export").status_code == 302
    assert client.post("/account/data/export").status_code == 302
    assert client.post("/account/data/export").status_code == 429


def test_a_build_runs_once(app, users):
    made = export.request_export(users["member"])
    assert made.status == "ready"
    assert export.build(made.id) is False
