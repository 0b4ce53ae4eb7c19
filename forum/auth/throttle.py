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

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from limits import parse_many
from limits.storage import MemoryStorage

from forum.extensions import limiter

log = logging.getLogger(__name__)
T = TypeVar("T")
_fallback: tuple | None = None
_fallback_lock = threading.Lock()

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


def _with_storage(work: Callable[[object, object], T]) -> T:
    """Run ``work(storage, strategy)`` on the shared storage, or on this
    process's memory while the shared storage (Redis) is unreachable: an
    outage must never stop members logging in."""
    global _fallback
    try:
        return work(limiter.storage, limiter.limiter)
    except Exception as exc:  # noqa: BLE001 - limits wraps storage errors in several types
        log.warning("login throttle: rate-limit storage unavailable, counting in this process: %s", exc)
        with _fallback_lock:
            if _fallback is None:
                memory = MemoryStorage()
                _fallback = (memory, type(limiter.limiter)(memory))
        return work(*_fallback)


def wait_seconds(handle_key: str, address: str, privileged: bool) -> int:
    """Seconds before this login may be tried; 0 when it may be tried now."""
    if not _enabled():
        return 0
    return _with_storage(lambda storage, strategy: _wait_seconds(storage, strategy, handle_key, address, privileged))


def _wait_seconds(storage, strategy, handle_key: str, address: str, privileged: bool) -> int:
    lock = _account_key(handle_key, address, privileged) + "/lock"
    if storage.get(lock) > 0:
        return max(1, math.ceil(storage.get_expiry(lock) - time.time()))
    if not privileged:
        for item in _address_limits():
            if not strategy.test(item, "kindred-login-addr", address):
                reset_at, _remaining = strategy.get_window_stats(item, "kindred-login-addr", address)
                return max(1, math.ceil(reset_at - time.time()))
    return 0


def record_failure(handle_key: str, address: str, privileged: bool) -> None:
    if _enabled():
        _with_storage(lambda storage, strategy: _record_failure(storage, strategy, handle_key, address, privileged))


def _record_failure(storage, strategy, handle_key: str, address: str, privileged: bool) -> None:
    for item in _address_limits():
        strategy.hit(item, "kindred-login-addr", address)
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

    def clear(storage, _strategy) -> None:
        storage.clear(key)
        storage.clear(key + "/lock")

    _with_storage(clear)
