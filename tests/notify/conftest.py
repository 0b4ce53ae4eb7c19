"""Notification tests: the live notices run through Flask-SocketIO's test
client, which cannot run over a message queue (as in tests/chat)."""
import pytest


@pytest.fixture(scope="session")
def app_config(app_config):
    return {**app_config, "REDIS_URL": None}
