"""Live state that is not worth a database row: presence counts and rate limits.

Both live in Redis when ``REDIS_URL`` is set, so every server process sees
the same numbers; otherwise in this process's memory (the embedded,
single-process set-up).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque

import redis
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

# A crashed process cannot remove its sockets from a Redis presence set; the
# key expires a day after the last join so a stale count heals itself.
PRESENCE_TTL_SECONDS = 24 * 3600


class Presence:
    """Socket ids per room. Only the count ever leaves the server.

    During a Redis outage the counts come from this process alone: a count
    that is briefly low is better than a chat that refuses members.
    """

    def __init__(self, redis_url: str | None = None, timeout: float = 1.0) -> None:
        self._redis = (redis.Redis.from_url(redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
                       if redis_url else None)
        self._local: dict[int, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    def _local_update(self, room_id: int, sid: str, add: bool | None) -> int:
        with self._lock:
            if add is True:
                self._local[room_id].add(sid)
            elif add is False:
                self._local[room_id].discard(sid)
            return len(self._local[room_id])

    @staticmethod
    def _key(room_id: int) -> str:
        return f"kindred:chat:presence:{room_id}"

    def join(self, room_id: int, sid: str) -> int:
        local = self._local_update(room_id, sid, True)
        if self._redis is not None:
            key = self._key(room_id)
            try:
                pipe = self._redis.pipeline()
                pipe.sadd(key, sid).expire(key, PRESENCE_TTL_SECONDS).scard(key)
                return int(pipe.execute()[-1])
            except redis.RedisError as exc:
                log.warning("chat presence: Redis unavailable, counting this process only: %s", exc)
        return local

    def leave(self, room_id: int, sid: str) -> int:
        local = self._local_update(room_id, sid, False)
        if self._redis is not None:
            key = self._key(room_id)
            try:
                pipe = self._redis.pipeline()
                pipe.srem(key, sid).scard(key)
                return int(pipe.execute()[-1])
            except redis.RedisError as exc:
                log.warning("chat presence: Redis unavailable, counting this process only: %s", exc)
        return local

    def local_count(self, room_id: int) -> int:
        """Sockets in this process that joined the room (no Redis call)."""
        return self._local_update(room_id, "", None)

    def count(self, room_id: int) -> int:
        if self._redis is not None:
            try:
                return int(self._redis.scard(self._key(room_id)))
            except redis.RedisError as exc:
                log.warning("chat presence: Redis unavailable, counting this process only: %s", exc)
        return self._local_update(room_id, "", None)


class RateLimits:
    """Per-member message limits (moving window), shared via Redis if configured.

    Limits protect the room from floods, whether from a distressed member
    pasting repeatedly or from abuse; the message is refused with a clear
    error and stays in the member's input box.

    Without Redis the windows are kept here (``_LocalWindows``) rather than
    in the ``limits`` package's memory storage, which starts a timer thread
    after every hit to expire old entries: at a few hundred messages a
    second that was a thread start per message.
    """

    def __init__(self, storage_uri: str, spec: str, enabled: bool = True, timeout: float = 1.0) -> None:
        self.enabled = enabled and bool(spec)
        self._items = parse_many(spec) if self.enabled else []
        self._limiter = None
        self._local = None
        if self.enabled:
            # Also the fallback while shared storage is unreachable: a Redis
            # outage must not refuse (or fail) members' messages.
            self._local = _LocalWindows([(item.amount, item.get_expiry()) for item in self._items])
        if self.enabled and not storage_uri.startswith("memory://"):
            self._limiter = MovingWindowRateLimiter(storage_from_string(
                storage_uri, socket_connect_timeout=timeout, socket_timeout=timeout))

    def hit(self, user_id: int) -> bool:
        """Record one message; False when any limit is exceeded."""
        if not self.enabled:
            return True
        if self._limiter is None:
            return self._local.hit(user_id)
        ok = True
        try:
            for item in self._items:
                if not self._limiter.hit(item, "kindred-chat", str(user_id)):
                    ok = False
        except Exception as exc:  # noqa: BLE001 - limits wraps storage errors in its own types
            log.warning("chat rate limits: storage unavailable, limiting in this process: %s", exc)
            return self._local.hit(user_id)
        return ok

    def reset(self) -> None:
        if self._limiter is not None:
            self._limiter.storage.reset()
        if self._local is not None:
            self._local.reset()


class _LocalWindows:
    """Moving windows in this process: per member and limit, the times of
    the hits still inside the window. Same rule as ``limits``' moving
    window: each limit counts a hit only if it had room for it."""

    def __init__(self, limits: list[tuple[int, int]], clock=time.monotonic) -> None:
        self._limits = limits  # (amount, seconds)
        self._clock = clock
        self._hits: dict[tuple[int, int], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, user_id: int) -> bool:
        now = self._clock()
        ok = True
        with self._lock:
            for index, (amount, seconds) in enumerate(self._limits):
                window = self._hits.setdefault((user_id, index), deque())
                while window and window[0] <= now - seconds:
                    window.popleft()
                if len(window) < amount:
                    window.append(now)
                else:
                    ok = False
            if len(self._hits) > 50_000:  # forget members with nothing in any window
                self._hits = {key: hits for key, hits in self._hits.items()
                              if hits and hits[-1] > now - self._limits[key[1]][1]}
        return ok

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
