"""flask seed-demo: once, idempotently, printing the staff passwords."""
from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Board, Topic, User


def test_seed_demo_once(runner, app):
    r = runner.invoke(args=["seed-demo", "--if-empty"])
    assert r.exit_code == 0, r.output
    assert "Moderator Maya:" in r.output and "Staff Sam:" in r.output
    names = set(db.session.scalars(select(Board.name)))
    assert {"Anxiety", "Low mood and depression", "Loneliness", "Recovery stories",
            "Supporting someone else"} <= names
    assert db.session.scalar(select(func.count(Topic.id)).where(Topic.status == "visible")) >= 3
    roles = set(db.session.scalars(select(User.role)))
    assert {"moderator", "staff"} <= roles
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert runner.invoke(args=["seed-demo"]).exit_code != 0  # without the flag: a clear refusal
    # The printed password works.
    password = r.output.split("Staff Sam: ")[1].split()[0]
    login = app.test_client().post("/auth/login", data={"handle": "Staff Sam", "password": password})
    assert login.status_code == 302
