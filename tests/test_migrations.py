"""The Alembic migrations build exactly the schema the models describe.

Runs ``flask db upgrade`` on an empty database (SQLite, or a scratch
PostgreSQL database when the suite runs on PostgreSQL) and then asks
Alembic to compare the result with the models: any difference means a
model changed without a migration.
"""
from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from forum import create_app
from forum.extensions import db
from forum.search import schema as search_schema
from tests.conftest import config_class


@pytest.fixture()
def empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"kindred_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_matches_models(empty_database_url, app_config):
    app = create_app(config_class(app_config, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "include_name": search_schema.include_name}), db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
