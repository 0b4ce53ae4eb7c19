"""Failed-login throttling: per address and per account, with a growing wait.

Only failures count, in the rate limiter's storage (memory, or Redis shared
by every process). Two counters:

- per address (``KINDRED_LOGIN_LIMIT``): one machine trying many accounts.
  The address is ``request.remote_addr``, which is the client's own behind
  the README's nginx once ``ProxyFix`` trusts the proxy hops.
- per account: after a few free mistakes each further failure makes the
  account wait twice as long as before, up to ``KINDRED_LOGIN_MAX_DELAY_SECONDS``.

Someone else's failures must never keep a moderator or staff member out
(an imminent case must be acknowledged within minutes). So for those
accounts the per-account wait is kept per (account, address), and the
per-address limit does not apply to them: their own wait still slows any
guessing from that address.
"""
from __future__ import annotations

import math
import time

from flask import current_app
from limits import parse_many

from forum.extensions import limiter

# A member mistyping a password a few times should never wait at all.
FREE_FAILURES = 3
# Failures are forgotten an hour after the first one (and on success).
FAILURE_WINDOW_SECONDS = 3600


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _account_key(handle_key: str, address: str, privileged: bool) -> str:
    return f"kindred-login-acct/{handle_key}/{address}" if privileged else f"kindred-login-acct/{handle_key}"


def _address_limits():
    return parse_many(current_app.config["KINDRED_LOGIN_LIMIT"])


def wait_seconds(handle_key: str, address: str, privileged: bool) -> int:
    """Seconds before this login may be tried; 0 when it may be tried now."""
    if not _enabled():
        return 0
    storage = limiter.storage
    lock = _account_key(handle_key, address, privileged) + "/lock"
    if storage.get(lock) > 0:
        return max(1, math.ceil(storage.get_expiry(lock) - time.time()))
    if not privileged:
        for item in _address_limits():
            if not limiter.limiter.test(item, "kindred-login-addr", address):
                reset_at, _remaining = limiter.limiter.get_window_stats(item, "kindred-login-addr", address)
                return max(1, math.ceil(reset_at - time.time()))
    return 0


def record_failure(handle_key: str, address: str, privileged: bool) -> None:
    if not _enabled():
        return
    storage = limiter.storage
    for item in _address_limits():
        limiter.limiter.hit(item, "kindred-login-addr", address)
    key = _account_key(handle_key, address, privileged)
    failures = storage.incr(key, FAILURE_WINDOW_SECONDS)
    if failures > FREE_FAILURES:
        delay = min(2 ** (failures - FREE_FAILURES), current_app.config["KINDRED_LOGIN_MAX_DELAY_SECONDS"])
        storage.clear(key + "/lock")
        storage.incr(key + "/lock", int(delay))


def record_success(handle_key: str, address: str, privileged: bool) -> None:
    if not _enabled():
        return
    key = _account_key(handle_key, address, privileged)
    limiter.storage.clear(key)
    limiter.storage.clear(key + "/lock")
