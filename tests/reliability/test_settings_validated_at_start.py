"""Issue 15, finding 5 (settings): a bad setting stops the server at start.

``KINDRED_TORCH_THREADS=abc`` once broke screening for every post while the
server kept running. Now the process must refuse to start, with a message
naming the setting; every other kind of setting is checked the same way.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config import SettingsError, validate_settings
from tests.live import ROOT, free_port


@pytest.mark.slow
def test_server_refuses_to_start_on_a_bad_setting(test_env):
    env = {**os.environ, **test_env, "KINDRED_TORCH_THREADS": "abc"}
    process = subprocess.Popen([sys.executable, "-m", "forum.serve", "--port", str(free_port())], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the server kept running with KINDRED_TORCH_THREADS=abc")
    assert process.returncode != 0
    assert "KINDRED_TORCH_THREADS='abc' must be a whole number" in err
    assert "Traceback" not in err  # one clear line for the operator


@pytest.mark.parametrize(("name", "value", "message"), [
    ("KINDRED_TORCH_THREADS", "0", "must be at least 1"),
    ("KINDRED_DB_RETRY_SECONDS", "soon", "must be a number"),
    ("KINDRED_WARM_UP", "perhaps", "must be 1 or 0"),
    ("KINDRED_REGION", "Atlantis", "must be one of UK, US"),
    ("KINDRED_SQLITE_SYNCHRONOUS", "SOMETIMES", "must be one of OFF"),
    ("DATABASE_URL", "mysql://db/kindred", "must be a URL starting with sqlite://"),
    ("REDIS_URL", "127.0.0.1:6379", "must be a URL starting with redis://"),
    ("KINDRED_ONCALL_WEBHOOK_URL", "ftp://hooks", "must be a URL starting with http://"),
    ("KINDRED_ALLOWED_ORIGINS", "kindred.example.org", "must be a comma-separated list of origins"),
    ("KINDRED_POST_LIMIT", "lots", "must be a rate limit"),
    ("KINDRED_MINILM_DIR", "/no/such/dir", "must name an existing directory"),
])
def test_each_kind_of_bad_setting_is_named(name, value, message):
    with pytest.raises(SettingsError) as raised:
        validate_settings({name: value})
    assert f"{name}={value!r} {message}" in str(raised.value)


def test_good_settings_pass():
    validate_settings({"KINDRED_TORCH_THREADS": "2", "KINDRED_REGION": "us", "KINDRED_WARM_UP": "on",
                       "DATABASE_URL": "postgresql://kindred@db/kindred", "REDIS_URL": "redis://127.0.0.1:6379/0",
                       "KINDRED_POST_LIMIT": "6 per minute;120 per day", "KINDRED_DB_RETRY_SECONDS": "2.5"})
