import pytest

# Browser tests here drive Debian's Chromium like tests/browser does.
from tests.browser.conftest import browser_type_launch_args  # noqa: F401
from tests.live import start_server
from tests.reliability.redis_server import PrivateRedis


@pytest.fixture()
def redis_and_servers(app, test_env, tmp_path):
    """Two real server processes sharing a private Redis that a test may stop."""
    private = PrivateRedis(tmp_path).start()
    env = {**test_env, "REDIS_URL": private.url, "KINDRED_SEMANTIC": "0"}
    a = start_server(env, tmp_path, timeout=120)
    try:
        b = start_server(env, tmp_path, timeout=120)
    except Exception:
        a.stop()
        raise
    yield private, a, b
    a.stop()
    b.stop()
    private.stop()
