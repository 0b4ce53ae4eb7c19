"""Browser tests: real Debian Chromium driven by Playwright, no downloads.

A missing Chromium fails (never skips) with the command that installs it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest


CHROMIUM = os.environ.get("KINDRED_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install it with "
            "`sudo apt-get install -y chromium` (make test does this when run as root), "
            "or set KINDRED_CHROMIUM to its path.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-sandbox",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture()
def csp_errors(page):
    """Collect console messages that report a CSP breach; assert none at the end."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    return errors
