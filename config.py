"""Configuration read from the environment.

Every setting has a safe default for the embedded (SQLite, single process)
setup. Production overrides them through environment variables; nothing
secret is ever hard-coded here.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from moderation.settings import DetoxifySettings, ModelSettings

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("KINDRED_INSTANCE_DIR", BASE_DIR / "instance"))
# Read at import because the SQLite connect hook and the job queue exist
# before any app does; everything else lives on Config.
SQLITE_SYNCHRONOUS = os.environ.get("KINDRED_SQLITE_SYNCHRONOUS", "FULL").upper()
REDIS_URL = os.environ.get("REDIS_URL") or None


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    # A malformed value falls back here only so that importing this module
    # works; validate_settings() then refuses to start with a clear message.
    value = os.environ.get(name)
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def _list(name: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


def private_dir(path: Path) -> Path:
    """Create the instance folder owner-only (0700), or tighten it to that,
    and its files to 0600: it holds the database, the job queue and keys."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    for child in path.iterdir():
        if child.is_file() and not child.is_symlink():
            _tighten(child, 0o600)
    return path


def private_file(path: Path) -> Path:
    """Create an empty owner-only (0600) file before SQLite opens it.

    SQLite creates a database with the umask's mode (usually 0644), and
    its -wal and -shm files copy the database file's mode.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def _tighten(path: Path, mode: int) -> None:
    info = path.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o777 != mode:
        path.chmod(mode)


def instance_key(instance_dir: Path, name: str, generate: Callable[[], str]) -> str:
    """Read the key kept in ``instance/<name>``, creating it once if missing.

    The file is created with owner-only permissions, so keys survive
    restarts without any secret in the repository.
    """
    private_dir(instance_dir)
    key_file = instance_dir / name
    if key_file.exists():
        return key_file.read_text().strip()
    key = generate()
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_or_create_secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, or one generated once into instance/."""
    return os.environ.get("SECRET_KEY") or instance_key(instance_dir, "secret_key", lambda: secrets.token_urlsafe(48))


class Config:
    """Defaults for every environment; values come from the environment."""

    INSTANCE_DIR = INSTANCE_DIR
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'kindred.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = REDIS_URL

    # Region used for signposting when neither the member's setting nor the
    # browser's Accept-Language gives one.
    KINDRED_REGION = os.environ.get("KINDRED_REGION", "UK")
    # Origins allowed to open Socket.IO connections (cross-site WebSocket
    # hijacking protection). Empty means "same host as the request".
    KINDRED_ALLOWED_ORIGINS = [
        o.strip() for o in os.environ.get("KINDRED_ALLOWED_ORIGINS", "").split(",") if o.strip()
    ]

    # Moderation limits (characters).
    KINDRED_MAX_POST_CHARS = _int("KINDRED_MAX_POST_CHARS", 20_000)
    KINDRED_MAX_CHAT_CHARS = _int("KINDRED_MAX_CHAT_CHARS", 2_000)
    KINDRED_MAX_TITLE_CHARS = _int("KINDRED_MAX_TITLE_CHARS", 150)

    # Pagination.
    TOPICS_PER_PAGE = _int("KINDRED_TOPICS_PER_PAGE", 20)
    POSTS_PER_PAGE = _int("KINDRED_POSTS_PER_PAGE", 20)

    # Security.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("KINDRED_HTTPS", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("KINDRED_HTTPS", False)
    # Login sessions (forum/auth/sessions.py) end after this long unused:
    # "keep me logged in" sessions, and the others.
    KINDRED_REMEMBER_DAYS = _int("KINDRED_REMEMBER_DAYS", 30)
    KINDRED_SESSION_IDLE_HOURS = _int("KINDRED_SESSION_IDLE_HOURS", 12)
    REMEMBER_COOKIE_DURATION = timedelta(days=KINDRED_REMEMBER_DAYS)
    PREFERRED_URL_SCHEME = "https" if _bool("KINDRED_HTTPS", False) else "http"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session; a slow writer must not lose a post
    MAX_CONTENT_LENGTH = 256 * 1024

    # Rate limits (Flask-Limiter syntax).
    RATELIMIT_ENABLED = _bool("KINDRED_RATELIMIT", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # A Redis outage must never turn into a member-facing error, least of all
    # after a post was committed: limits fall back to this process's memory
    # (and any other limiter error is logged, not raised).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Seconds a Redis call may take before it counts as an outage, for every
    # Redis client Kindred opens (limits, chat state), so a dead link fails fast.
    KINDRED_REDIS_TIMEOUT = _float("KINDRED_REDIS_TIMEOUT", 1.0)
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": KINDRED_REDIS_TIMEOUT,
                                 "socket_timeout": KINDRED_REDIS_TIMEOUT}
    KINDRED_LOGIN_LIMIT = os.environ.get("KINDRED_LOGIN_LIMIT", "10 per minute;50 per hour")
    KINDRED_REGISTER_LIMIT = os.environ.get("KINDRED_REGISTER_LIMIT", "5 per minute;20 per hour")
    KINDRED_POST_LIMIT = os.environ.get("KINDRED_POST_LIMIT", "6 per minute;120 per day")
    # Per-member chat messages. A person typing quickly sends one every few
    # seconds; bursts above this are floods (or a stuck client) that drown a room.
    KINDRED_CHAT_LIMIT = os.environ.get("KINDRED_CHAT_LIMIT", "5 per 5 seconds;40 per minute")
    # The chat writer's batching window in ms (forum/chat/writer.py says why).
    KINDRED_CHAT_BATCH_MS = _float("KINDRED_CHAT_BATCH_MS", 15.0)
    # Failed logins: KINDRED_LOGIN_LIMIT counts one address's failures; one
    # account's failures make it wait twice as long each time, up to this.
    KINDRED_LOGIN_MAX_DELAY_SECONDS = _int("KINDRED_LOGIN_MAX_DELAY_SECONDS", 300)
    # Reports per account (and per address), and password changes per account.
    KINDRED_REPORT_LIMIT = os.environ.get("KINDRED_REPORT_LIMIT", "10 per hour;30 per day")
    KINDRED_PASSWORD_CHANGE_LIMIT = os.environ.get("KINDRED_PASSWORD_CHANGE_LIMIT", "5 per hour")

    # Background jobs (huey). SQLite-backed by default so the embedded set-up
    # needs no extra service; Redis-backed when REDIS_URL is set.
    HUEY_IMMEDIATE = _bool("KINDRED_HUEY_IMMEDIATE", False)

    # Outbound notification channels for on-call staff.
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_FROM = os.environ.get("SMTP_FROM", "kindred@localhost")
    ONCALL_EMAILS = [e.strip() for e in os.environ.get("KINDRED_ONCALL_EMAILS", "").split(",") if e.strip()]
    ONCALL_WEBHOOK_URL = os.environ.get("KINDRED_ONCALL_WEBHOOK_URL") or None
    # "smtp" (SMTP_HOST) or "file": every message written as an .eml file to
    # KINDRED_MAIL_DIR instead, for development and tests without a mail server.
    MAIL_BACKEND = os.environ.get("KINDRED_MAIL_BACKEND", "smtp")
    MAIL_DIR = os.environ.get("KINDRED_MAIL_DIR") or str(INSTANCE_DIR / "mail")

    # The public address links in emails and webhooks are built from. Never
    # the request's Host header: a forged Host would poison reset links.
    KINDRED_BASE_URL = (os.environ.get("KINDRED_BASE_URL") or "").rstrip("/") or None
    # Host names this site answers to (Flask refuses others with 400).
    # Defaults to the host of KINDRED_BASE_URL; unset means any host (local use).
    TRUSTED_HOSTS = _list("KINDRED_TRUSTED_HOSTS") or (
        [urlsplit(KINDRED_BASE_URL).hostname] if KINDRED_BASE_URL else None)
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host.
    # 0 trusts no forwarded header (a client could forge them).
    KINDRED_PROXY_HOPS = _int("KINDRED_PROXY_HOPS", 0)

    # Key for sealing safety contacts (Fernet). Generated into instance/ when unset.
    KINDRED_SEAL_KEY = os.environ.get("KINDRED_SEAL_KEY") or None

    # Review queue and crisis escalation (forum/review). Deadlines in seconds.
    # imminent: staff must acknowledge the case within 5 minutes; high: a
    # moderator must claim the item within 15 minutes; anything else 24 h.
    KINDRED_SLA_IMMINENT_SECONDS = _int("KINDRED_SLA_IMMINENT_SECONDS", 300)
    KINDRED_SLA_HIGH_SECONDS = _int("KINDRED_SLA_HIGH_SECONDS", 900)
    KINDRED_SLA_DEFAULT_SECONDS = _int("KINDRED_SLA_DEFAULT_SECONDS", 86_400)
    KINDRED_CLAIM_SECONDS = _int("KINDRED_CLAIM_SECONDS", 600)
    # An unacknowledged case re-alerts staff this often after its deadline.
    KINDRED_REALERT_SECONDS = _int("KINDRED_REALERT_SECONDS", 120)
    # Distinct members whose flags hide a post until a moderator looks.
    KINDRED_AUTO_HIDE_FLAGS = _int("KINDRED_AUTO_HIDE_FLAGS", 3)
    # Only established members' reports count towards hiding: an account at
    # least this old with this many approved posts. Fresh accounts cost an
    # attacker nothing; their reports still reach the queue.
    KINDRED_AUTO_HIDE_MIN_ACCOUNT_DAYS = _int("KINDRED_AUTO_HIDE_MIN_ACCOUNT_DAYS", 7)
    KINDRED_AUTO_HIDE_MIN_POSTS = _int("KINDRED_AUTO_HIDE_MIN_POSTS", 3)
    # Crisis items handled in one shift before a gentle "take a break" prompt.
    KINDRED_BREAK_PROMPT_AFTER = _int("KINDRED_BREAK_PROMPT_AFTER", 5)
    # A moderator counts as online while their socket heartbeat is this fresh.
    KINDRED_PRESENCE_TTL_SECONDS = _int("KINDRED_PRESENCE_TTL_SECONDS", 120)
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 10)

    # Detoxify weights: a local checkpoint and config dir, or a model type to fetch.
    KINDRED_DETOXIFY_CHECKPOINT = os.environ.get("KINDRED_DETOXIFY_CHECKPOINT") or None
    KINDRED_DETOXIFY_CONFIG_DIR = os.environ.get("KINDRED_DETOXIFY_CONFIG_DIR") or None
    KINDRED_DETOXIFY_MODEL = os.environ.get("KINDRED_DETOXIFY_MODEL") or "original"
    KINDRED_DETOXIFY_DOWNLOAD = _bool("KINDRED_DETOXIFY_DOWNLOAD", False)
    # Where `flask moderation fetch-model` installs Detoxify weights.
    KINDRED_MODELS_DIR = os.environ.get("KINDRED_MODELS_DIR") or str(Path.home() / ".cache" / "kindred" / "detoxify")
    # The screening models (moderation.settings; README's settings table).
    KINDRED_SEMANTIC = _bool("KINDRED_SEMANTIC", True)
    KINDRED_READER = _bool("KINDRED_READER", True)
    KINDRED_ABUSE_JUDGE = _bool("KINDRED_ABUSE_JUDGE", False)
    KINDRED_CRISIS_JUDGE = _bool("KINDRED_CRISIS_JUDGE", False)
    KINDRED_ENCODER = os.environ.get("KINDRED_ENCODER") or "onnx"
    KINDRED_ENCODER_INT8 = _bool("KINDRED_ENCODER_INT8", False)
    KINDRED_ENCODER_CACHE = os.environ.get("KINDRED_ENCODER_CACHE") or None
    KINDRED_MINILM_DIR = os.environ.get("KINDRED_MINILM_DIR") or None
    KINDRED_TORCH_THREADS = _int("KINDRED_TORCH_THREADS", 0) or None
    KINDRED_WARM_UP = _bool("KINDRED_WARM_UP", False)

    # Total time a post, reply, edit or report keeps retrying a busy or
    # unreachable database (SQLite lock, number clash, lost connection)
    # before the member gets their form back to try again.
    KINDRED_DB_RETRY_SECONDS = _float("KINDRED_DB_RETRY_SECONDS", 30.0)
    # Total time a page view, a resubmittable form or a repeatable chat event
    # is run again after losing the database (a restart), before the member
    # sees the error page or gets a retryable error. Below chat.js's ack wait.
    KINDRED_DB_READ_RETRY_SECONDS = _float("KINDRED_DB_READ_RETRY_SECONDS", 8.0)
    # SQLite durability; WAL is always on (forum/dbtuning.py).
    KINDRED_SQLITE_SYNCHRONOUS = SQLITE_SYNCHRONOUS

    # Members' data rights and retention (forum/rights, docs/privacy.md).
    # Closing or erasing an account waits this long; logging in cancels it.
    KINDRED_CLOSURE_GRACE_DAYS = _int("KINDRED_CLOSURE_GRACE_DAYS", 14)
    # A closed account's handle stays reserved this long, so nobody can
    # take it straight away and pose as the member to people who knew them.
    KINDRED_HANDLE_QUARANTINE_DAYS = _int("KINDRED_HANDLE_QUARANTINE_DAYS", 90)
    # "Download my data": how long a link works, and how often one may be asked for.
    KINDRED_EXPORT_HOURS = _int("KINDRED_EXPORT_HOURS", 24)
    KINDRED_EXPORT_LIMIT = os.environ.get("KINDRED_EXPORT_LIMIT", "3 per day")
    # Ended sessions' rows (device label, times) and rate-limit keys (which
    # name an address) are kept this many days at most.
    KINDRED_RETAIN_SESSIONS_DAYS = _int("KINDRED_RETAIN_SESSIONS_DAYS", 30)
    KINDRED_RETAIN_RATELIMIT_DAYS = _int("KINDRED_RETAIN_RATELIMIT_DAYS", 1)
    # Held content a moderator decided never to publish: days after the decision.
    KINDRED_RETAIN_HELD_DAYS = _int("KINDRED_RETAIN_HELD_DAYS", 90)
    # Audit detail (reasons, data) older than this becomes a tombstone.
    KINDRED_RETAIN_AUDIT_YEARS = _int("KINDRED_RETAIN_AUDIT_YEARS", 6)
    # Resolved crisis cases: the operator's choice; by default as long as the
    # audit, the longest Kindred keeps anything (safeguarding records).
    KINDRED_RETAIN_CASES_DAYS = _int("KINDRED_RETAIN_CASES_DAYS", 366 * KINDRED_RETAIN_AUDIT_YEARS)
    # The privacy notice: who the controller is, how to reach them, and where to complain.
    KINDRED_PRIVACY_CONTROLLER = os.environ.get("KINDRED_PRIVACY_CONTROLLER", "") or None
    KINDRED_PRIVACY_CONTACT = os.environ.get("KINDRED_PRIVACY_CONTACT", "") or None
    KINDRED_PRIVACY_AUTHORITY = os.environ.get(
        "KINDRED_PRIVACY_AUTHORITY",
        "the Information Commissioner's Office (ICO), the UK data protection authority: ico.org.uk/make-a-complaint, "
        "0303 123 1113. In the EU, the data protection authority of your country.")


class SettingsError(Exception):
    """A setting in the environment has a value Kindred cannot use."""


_BOOLS = {"1", "0", "true", "false", "yes", "no", "on", "off"}
REGIONS = ("UK", "US", "CA", "IE", "AU", "NZ", "INTL")
# name -> (kind, argument). Every setting read anywhere in Kindred is listed,
# so a typo in a value stops the start instead of degrading every post.
SETTINGS: dict[str, tuple[str, object]] = {
    "KINDRED_MAX_POST_CHARS": ("int", 1), "KINDRED_MAX_CHAT_CHARS": ("int", 1),
    "KINDRED_MAX_TITLE_CHARS": ("int", 1), "KINDRED_TOPICS_PER_PAGE": ("int", 1),
    "KINDRED_POSTS_PER_PAGE": ("int", 1), "SMTP_PORT": ("int", 1), "SMTP_TIMEOUT": ("int", 1),
    "KINDRED_SLA_IMMINENT_SECONDS": ("int", 1), "KINDRED_SLA_HIGH_SECONDS": ("int", 1),
    "KINDRED_SLA_DEFAULT_SECONDS": ("int", 1), "KINDRED_CLAIM_SECONDS": ("int", 1),
    "KINDRED_REALERT_SECONDS": ("int", 1),
    "KINDRED_AUTO_HIDE_FLAGS": ("int", 1), "KINDRED_BREAK_PROMPT_AFTER": ("int", 1),
    "KINDRED_PRESENCE_TTL_SECONDS": ("int", 1), "KINDRED_TORCH_THREADS": ("int", 1),
    "KINDRED_LOGIN_MAX_DELAY_SECONDS": ("int", 0), "KINDRED_PROXY_HOPS": ("int", 0),
    "KINDRED_AUTO_HIDE_MIN_ACCOUNT_DAYS": ("int", 0), "KINDRED_AUTO_HIDE_MIN_POSTS": ("int", 0),
    "KINDRED_CHAT_BATCH_MS": ("float", 0.0), "KINDRED_DB_RETRY_SECONDS": ("float", 0.0),
    "KINDRED_DB_READ_RETRY_SECONDS": ("float", 0.0),
    "KINDRED_REDIS_TIMEOUT": ("float", 0.0),
    "KINDRED_CLOSURE_GRACE_DAYS": ("int", 0), "KINDRED_HANDLE_QUARANTINE_DAYS": ("int", 0),
    "KINDRED_EXPORT_HOURS": ("int", 1), "KINDRED_EXPORT_LIMIT": ("limit", None),
    "KINDRED_RETAIN_SESSIONS_DAYS": ("int", 1), "KINDRED_RETAIN_RATELIMIT_DAYS": ("int", 1),
    "KINDRED_RETAIN_HELD_DAYS": ("int", 1), "KINDRED_RETAIN_AUDIT_YEARS": ("int", 1),
    "KINDRED_RETAIN_CASES_DAYS": ("int", 1),
    "KINDRED_REPORT_LIMIT": ("limit", None), "KINDRED_PASSWORD_CHANGE_LIMIT": ("limit", None),
    "KINDRED_HTTPS": ("bool", None), "KINDRED_RATELIMIT": ("bool", None), "KINDRED_WARM_UP": ("bool", None),
    "KINDRED_HUEY_IMMEDIATE": ("bool", None), "KINDRED_SEMANTIC": ("bool", None),
    "KINDRED_READER": ("bool", None), "KINDRED_ABUSE_JUDGE": ("bool", None),
    "KINDRED_CRISIS_JUDGE": ("bool", None), "KINDRED_DETOXIFY_DOWNLOAD": ("bool", None),
    "KINDRED_REGION": ("enum", REGIONS),
    "KINDRED_SQLITE_SYNCHRONOUS": ("enum", ("OFF", "NORMAL", "FULL", "EXTRA")),
    "KINDRED_DETOXIFY_MODEL": ("enum", ("original", "unbiased", "multilingual")),
    "KINDRED_MAIL_BACKEND": ("enum", ("smtp", "file")), "KINDRED_MAIL_DIR": ("dir", None),
    "DATABASE_URL": ("url", ("sqlite", "postgresql", "postgresql+psycopg")),
    "REDIS_URL": ("url", ("redis", "rediss", "unix")),
    "RATELIMIT_STORAGE_URI": ("url", ("redis", "rediss", "unix", "memory")),
    "KINDRED_ONCALL_WEBHOOK_URL": ("url", ("http", "https")),
    "KINDRED_BASE_URL": ("url", ("http", "https")),
    "KINDRED_REMEMBER_DAYS": ("int", 1), "KINDRED_SESSION_IDLE_HOURS": ("int", 1),
    "KINDRED_ALLOWED_ORIGINS": ("origins", None),
    "KINDRED_LOGIN_LIMIT": ("limit", None), "KINDRED_REGISTER_LIMIT": ("limit", None),
    "KINDRED_POST_LIMIT": ("limit", None), "KINDRED_CHAT_LIMIT": ("limit", None),
    "KINDRED_DETOXIFY_CHECKPOINT": ("file", None), "KINDRED_DETOXIFY_CONFIG_DIR": ("dir", None),
    "KINDRED_MINILM_DIR": ("dir", None),
    "KINDRED_ENCODER": ("enum", ("onnx", "torch")), "KINDRED_ENCODER_INT8": ("bool", None),
}


def _problem(kind: str, arg: object, value: str) -> str | None:
    """What is wrong with ``value`` for a setting of this kind, or None."""
    from urllib.parse import urlsplit

    if kind in ("int", "float"):
        try:
            number = int(value) if kind == "int" else float(value)
        except ValueError:
            return "must be a whole number" if kind == "int" else "must be a number"
        return None if number >= arg else f"must be at least {arg}"  # type: ignore[operator]
    if kind == "bool":
        return None if value.strip().lower() in _BOOLS else "must be 1 or 0 (or true/false, yes/no, on/off)"
    if kind == "enum":
        ok = value.strip().upper() in {a.upper() for a in arg}  # type: ignore[union-attr]
        return None if ok else "must be one of " + ", ".join(arg)  # type: ignore[arg-type]
    if kind == "url":
        scheme = urlsplit(value).scheme.split("+")[0]
        return None if scheme in {s.split("+")[0] for s in arg} else (  # type: ignore[union-attr]
            "must be a URL starting with " + " or ".join(f"{s}://" for s in arg))  # type: ignore[union-attr]
    if kind == "origins":
        bad = [o for o in value.split(",") if o.strip() and not (urlsplit(o.strip()).scheme in ("http", "https")
                                                                  and urlsplit(o.strip()).netloc)]
        return f"must be a comma-separated list of origins like https://example.org (not {bad[0]!r})" if bad else None
    if kind == "limit":
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            return 'must be a rate limit such as "6 per minute;120 per day"'
        return None
    if kind == "file":
        return None if Path(value).is_file() else "must name an existing file"
    if kind == "dir":
        return None if Path(value).is_dir() else "must name an existing directory"
    raise ValueError(kind)


def validate_settings(environ: dict[str, str] | None = None) -> None:
    """Refuse to start on a setting Kindred cannot use, naming it.

    Called by ``create_app``; raises ``SettingsError`` listing every bad
    setting, so an operator fixes them all in one go.
    """
    environ = os.environ if environ is None else environ
    problems = []
    for name, (kind, arg) in SETTINGS.items():
        value = environ.get(name)
        if value in (None, ""):
            continue
        problem = _problem(kind, arg, value)
        if problem:
            problems.append(f"{name}={value!r} {problem}")
    if problems:
        raise SettingsError("Kindred cannot start: " + "; ".join(problems) + ". See the settings table in README.md.")


def validate(config: Any) -> None:
    """Refuse to start with settings that would send broken or forgeable links."""
    base = config.get("KINDRED_BASE_URL")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise RuntimeError(f"KINDRED_BASE_URL={base!r} is not an http(s) address such as "
                               "https://kindred.example.org")
    elif config.get("SMTP_HOST") or config.get("ONCALL_WEBHOOK_URL") or config.get("MAIL_BACKEND") == "file":
        raise RuntimeError(
            "KINDRED_BASE_URL must be set when SMTP_HOST or KINDRED_ONCALL_WEBHOOK_URL is: emails and "
            "webhooks carry links, e.g. KINDRED_BASE_URL=https://kindred.example.org")
    if config.get("KINDRED_PROXY_HOPS", 0) < 0:
        raise RuntimeError("KINDRED_PROXY_HOPS must be 0 or more")


def model_settings(config: Any = None) -> ModelSettings:
    """The screening models' settings from a Flask config (or from Config,
    for the offline tools, which have no app), for ``moderation.configure``."""
    def get(name: str) -> Any:
        return config[name] if config is not None else getattr(Config, name)

    return ModelSettings(
        semantic=get("KINDRED_SEMANTIC"), reader=get("KINDRED_READER"), abuse_judge=get("KINDRED_ABUSE_JUDGE"),
        crisis_judge=get("KINDRED_CRISIS_JUDGE"),
        encoder=get("KINDRED_ENCODER"), encoder_int8=get("KINDRED_ENCODER_INT8"),
        encoder_cache=get("KINDRED_ENCODER_CACHE"), instance_dir=str(get("INSTANCE_DIR")),
        minilm_dir=get("KINDRED_MINILM_DIR"), torch_threads=get("KINDRED_TORCH_THREADS"),
        detoxify=DetoxifySettings(model_type=get("KINDRED_DETOXIFY_MODEL"),
                                  checkpoint=get("KINDRED_DETOXIFY_CHECKPOINT"),
                                  config_dir=get("KINDRED_DETOXIFY_CONFIG_DIR"),
                                  allow_download=get("KINDRED_DETOXIFY_DOWNLOAD")),
    )


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    HUEY_IMMEDIATE = True
    SERVER_NAME = None
    KINDRED_BASE_URL = "http://localhost"
    TRUSTED_HOSTS = None
    # Cheap hashing keeps the suite fast; never used outside tests.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    RATELIMIT_STORAGE_URI = "memory://"
