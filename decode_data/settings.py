"""Every setting comes from the environment, so one build runs anywhere.

Defaults are safe for a laptop (SQLite, local DuckDB, data inside the repo). Production
mode refuses to start on a missing or weak SECRET_KEY instead of signing sessions with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "decode-data-development-key-not-for-production"
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _int(env: dict, name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    secret_key: str
    database_url: str
    motherduck_token: str | None = field(repr=False)
    workers: int
    job_timeout_s: float
    job_memory_mb: int
    worker_max_jobs: int
    max_file_bytes: int
    max_workspace_files: int
    max_workspace_bytes: int
    max_warehouse_bytes: int
    max_log_bytes: int
    query_timeout_s: float
    query_row_cap: int
    template_dir: Path
    reference_dir: Path  # the lessons' reference builds, shared by every process that points here
    # Accounts and OAuth sign-in. Secrets stay out of repr so they never reach a log.
    public_url: str = "http://127.0.0.1:3000"  # base of OAuth redirect URIs (the browser's view)
    session_days: int = 14
    github_client_id: str | None = None
    github_client_secret: str | None = field(default=None, repr=False)
    google_client_id: str | None = None
    google_client_secret: str | None = field(default=None, repr=False)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_name: str = "Single sign-on"
    # Abuse limits (see services/rate_limits.py) and how far X-Forwarded-For is believed.
    trusted_proxies: int = 0  # reverse proxies in front of the app; 0: the peer address is the client
    signups_per_hour: int = 5  # new accounts per client address
    api_writes_per_minute: int = 120  # JSON API writes (PUT, POST) per user
    jobs_per_10_minutes: int = 60  # dbt runs and checks a learner may ask for

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def allowed_origins(self) -> list[str]:
        """The only origins the backend accepts websockets and requests with credentials from:
        the app's own public URL (and its localhost / 127.0.0.1 twin on a loopback install)."""
        scheme, _, rest = self.public_url.partition("://")
        host_port = rest.split("/", 1)[0]
        host, sep, port = host_port.rpartition(":") if host_port.count(":") == 1 else (host_port, "", "")
        origins = [f"{scheme}://{host_port}"]
        twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
        if host in twins:
            origins.append(f"{scheme}://{twins[host]}{sep}{port}")
        return origins

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "workspaces"


def load_settings(env: dict | None = None) -> Settings:
    """Read settings from ``env`` (default: the process environment) and validate them."""
    env = dict(os.environ if env is None else env)
    mode = env.get("DECODE_DATA_ENV", "development").strip().lower()
    if mode not in ("development", "production", "test"):
        raise SettingsError(f"DECODE_DATA_ENV must be development, production or test, got {mode!r}")

    secret = env.get("SECRET_KEY", "")
    if mode == "production":
        if not secret:
            raise SettingsError(
                "SECRET_KEY is not set. Production needs a random key of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters, e.g. `python -c 'import secrets;"
                " print(secrets.token_urlsafe(48))'`."
            )
        if len(secret) < MIN_SECRET_KEY_LENGTH or secret == DEV_SECRET_KEY or len(set(secret)) < 10:
            raise SettingsError(
                f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_KEY_LENGTH} random characters."
            )
    secret = secret or DEV_SECRET_KEY

    data_dir = Path(env.get("DECODE_DATA_DIR") or REPO_ROOT / ".data").expanduser().resolve()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'app.db'}"
    if not database_url.startswith(("sqlite", "postgresql")):
        raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")

    oauth = _oauth_settings(env)
    return Settings(
        env=mode,
        data_dir=data_dir,
        secret_key=secret,
        database_url=database_url,
        motherduck_token=env.get("MOTHERDUCK_TOKEN") or None,
        workers=_int(env, "DECODE_DATA_WORKERS", os.cpu_count() or 2),
        job_timeout_s=_float(env, "DECODE_DATA_JOB_TIMEOUT", 60.0),
        job_memory_mb=_int(env, "DECODE_DATA_JOB_MEMORY_MB", 1024, minimum=256),
        worker_max_jobs=_int(env, "DECODE_DATA_WORKER_MAX_JOBS", 200),
        max_file_bytes=_int(env, "DECODE_DATA_MAX_FILE_BYTES", 100_000),
        max_workspace_files=_int(env, "DECODE_DATA_MAX_WORKSPACE_FILES", 200),
        max_workspace_bytes=_int(env, "DECODE_DATA_MAX_WORKSPACE_BYTES", 2_000_000),
        max_warehouse_bytes=_int(env, "DECODE_DATA_MAX_WAREHOUSE_BYTES", 256_000_000),
        max_log_bytes=_int(env, "DECODE_DATA_MAX_LOG_BYTES", 200_000),
        query_timeout_s=_float(env, "DECODE_DATA_QUERY_TIMEOUT", 10.0),
        query_row_cap=_int(env, "DECODE_DATA_QUERY_ROW_CAP", 500),
        template_dir=Path(env.get("DECODE_DATA_TEMPLATE_DIR") or REPO_ROOT / "dbt_template").resolve(),
        reference_dir=Path(env.get("DECODE_DATA_REFERENCE_DIR") or data_dir / "reference").expanduser().resolve(),
        session_days=_int(env, "SESSION_DAYS", 14),
        trusted_proxies=_int(env, "DECODE_DATA_TRUSTED_PROXIES", 0, minimum=0),
        signups_per_hour=_int(env, "DECODE_DATA_SIGNUPS_PER_HOUR", 5),
        api_writes_per_minute=_int(env, "DECODE_DATA_API_WRITES_PER_MINUTE", 120),
        jobs_per_10_minutes=_int(env, "DECODE_DATA_JOBS_PER_10_MINUTES", 60),
        **oauth,
    )


def _oauth_settings(env: dict) -> dict:
    """OAuth providers come in complete sets: a client id without its secret is a typo, not a choice."""
    values = {
        name.lower(): (env.get(name) or "").strip() or None
        for name in (
            "GITHUB_CLIENT_ID",
            "GITHUB_CLIENT_SECRET",
            "GOOGLE_CLIENT_ID",
            "GOOGLE_CLIENT_SECRET",
            "OIDC_ISSUER",
            "OIDC_CLIENT_ID",
            "OIDC_CLIENT_SECRET",
        )
    }
    for group in (
        ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"),
        ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
        ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"),
    ):
        given = [name for name in group if values[name.lower()]]
        if given and len(given) != len(group):
            missing = ", ".join(name for name in group if name not in given)
            raise SettingsError(f"{missing} must be set too: {', '.join(given)} alone cannot sign anyone in")
    # Unset, the app is where scripts/start serves it: the page's origin must be this one, or the
    # backend refuses its websocket and nothing on the page responds.
    port = (env.get("REFLEX_FRONTEND_PORT") or "3000").strip()
    public_url = (env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").strip().rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise SettingsError(f"PUBLIC_URL must start with http:// or https://, got {public_url!r}")
    if values["oidc_issuer"] and not values["oidc_issuer"].startswith(("http://", "https://")):
        raise SettingsError("OIDC_ISSUER must be the provider's https:// URL")
    return dict(values, public_url=public_url, oidc_name=(env.get("OIDC_NAME") or "").strip() or "Single sign-on")


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    global _settings
    _settings = None
