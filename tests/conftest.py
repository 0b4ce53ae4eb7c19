"""Shared fixtures: an app on a real database, a client, an auth helper,
and one user per role.

The database is SQLite in a temporary directory by default, or the server
named by ``TEST_DATABASE_URL`` (CI runs the suite again on PostgreSQL).
The schema is created once per session and every table is emptied after
each test, so tests are independent and nothing is mocked.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from sqlalchemy import text

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# One cache of exported ONNX graphs for the whole run and its servers (an
# export takes tens of seconds; the file name says what it was built from).
os.environ.setdefault("KINDRED_ENCODER_CACHE", os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "instance", "cache"))

from config import TestConfig  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db, limiter  # noqa: E402
from forum.models import User  # noqa: E402

PASSWORD = "correct horse battery staple"
ROLES = ("member", "moderator", "staff", "admin")


def _database_url(tmp_root: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_root}/test.sqlite3"


@pytest.fixture(scope="session")
def test_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("kindred")
    instance = root / "instance"
    instance.mkdir()
    env = {"DATABASE_URL": _database_url(str(root)), "KINDRED_INSTANCE_DIR": str(instance)}
    redis_url = os.environ.get("TEST_REDIS_URL")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@pytest.fixture(scope="session")
def live_server(_schema, test_env, tmp_path_factory):
    """One real server process for the whole run (browser pages, live
    Socket.IO clients), on the test database; tests that need other settings
    start their own. Starting one costs tens of seconds on a busy machine."""
    from tests.live import start_server

    # Warm the moderation engine before the server reports healthy, so the
    # first post in a browser test doesn't wait for models to load (on a busy
    # machine that took longer than Playwright's 30 s click timeout).
    server = start_server({**test_env, "KINDRED_WARM_UP": "1"}, tmp_path_factory.mktemp("live"), timeout=180)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_config(test_env: dict[str, str]) -> dict[str, object]:
    from pathlib import Path

    cfg: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": test_env["DATABASE_URL"],
        "INSTANCE_DIR": Path(test_env["KINDRED_INSTANCE_DIR"]),
        "SECRET_KEY": "test-secret-key-not-for-production",
    }
    if "REDIS_URL" in test_env:
        cfg["REDIS_URL"] = test_env["REDIS_URL"]
    return cfg


def config_class(app_config: dict[str, object], **overrides: object) -> type:
    """A TestConfig subclass pointing at the test database (and Redis)."""
    return type("SuiteConfig", (TestConfig,), {**app_config, **overrides})


@pytest.fixture(scope="session")
def _schema(app_config: dict[str, object]):
    app = create_app(config_class(app_config))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture()
def app(_schema, app_config: dict[str, object]):
    app = create_app(config_class(app_config))
    with app.app_context():
        limiter.reset()
        yield app
        db.session.rollback()
        db.session.remove()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def make_user(handle: str, role: str = "member", password: str = PASSWORD, **fields) -> User:
    """Create and commit a user directly (tests only)."""
    from forum.auth.passwords import hash_password
    from forum.models import utcnow

    user = User(
        handle=handle,
        handle_key=handle.casefold(),
        password_hash=hash_password(password),
        role=role,
        age_confirmed_at=utcnow(),
        guidelines_accepted_at=utcnow(),
        **{"health_consent_at": utcnow(), **fields},
    )
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture()
def users(app) -> dict[str, User]:
    """One user per role, handle = role name (e.g. ``users["staff"]``)."""
    made = {role: make_user(role.capitalize() + "Person", role) for role in ROLES}
    made["member2"] = make_user("OtherMember", "member")
    return made


@dataclass
class AuthActions:
    client: object

    def login(self, handle: str, password: str = PASSWORD, remember: bool = False):
        data = {"handle": handle, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/auth/login", data=data)

    def login_as(self, user: User):
        return self.login(user.handle)

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture()
def auth(client) -> AuthActions:
    return AuthActions(client)


# -- forum helpers (forum core) ---------------------------------------------------

def make_board(slug: str = "general", name: str = "General", premod_first_n: int = 0, **fields):
    """Create and commit a board (tests only)."""
    from forum.models import Board

    board = Board(slug=slug, name=name, description=f"About {name.lower()}.", premod_first_n=premod_first_n, **fields)
    db.session.add(board)
    db.session.commit()
    return board


def post_topic(user: User, board, title: str = "A quiet evening", body: str = "Hello, this is my first post.",
               **fields):
    """Start a topic through the real service (screened, counted); returns forum.boards.services.Posted."""
    from forum.boards import services

    return services.create_topic(user, services.NewTopic(board_id=board.id, title=title, body=body, **fields))


def post_reply(user: User, topic, body: str = "Thank you for sharing.", **fields):
    from forum.boards import services

    return services.reply(user, services.NewReply(topic_id=topic.id, body=body, **fields))


@pytest.fixture()
def board(app):
    return make_board()
