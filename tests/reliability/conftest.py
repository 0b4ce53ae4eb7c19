# Browser tests here drive Debian's Chromium like tests/browser does.
from tests.browser.conftest import browser_type_launch_args  # noqa: F401
