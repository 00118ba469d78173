"""Configuration: every ``LCM_*`` environment variable, read and validated here and nowhere else.

``get_settings()`` is called once at start-up by each entry point (CLI, API, DAG tasks). A bad value
stops start-up with :class:`ConfigError`, whose message is one sentence per bad variable naming it.
``.env.example`` lists the same variables with their defaults.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_EVENT_TOPICS = (
    "course-enrollment-lifecycle",
    "course-unenrollment-lifecycle",
    "learner-credit-course-enrollment-lifecycle",
    "enterprise-subsidies-transaction-lifecycle",
)


# An RFC 6265 cookie name: a token (no separators, spaces or control characters).
COOKIE_NAME_PATTERN = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"
# An origin as browsers send it: scheme://host[:port], nothing after (RFC 6454).
_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


class ApiAuth(StrEnum):
    JWT = "jwt"
    NONE = "none"


class Notifier(StrEnum):
    NONE = "none"
    SMTP = "smtp"
    WEBHOOK = "webhook"


def _check_sqlalchemy_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        make_url(value)
    except ArgumentError as exc:
        raise ValueError(f"is not a SQLAlchemy database URL ({exc})") from None
    return value


def _check_base_url(value: str | None, example: str) -> str | None:
    """An http(s) base address: a scheme, a host and an optional path (None when unset)."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"must be an http(s) URL with a host, like {example}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be a scheme, a host and an optional path, nothing more")
    return value


class Settings(BaseSettings):
    """All settings. Field ``foo`` is read from ``LCM_FOO``."""

    model_config = SettingsConfigDict(env_prefix="LCM_", extra="ignore", frozen=True)

    # --- read model and sources (SQLAlchemy URLs) ---------------------------------------------
    database_url: str | None = None
    """Read model. Unset: an embedded PostgreSQL (pgserver) in ``data_dir``."""
    read_database_url: str | None = None
    """A read replica of the read model (a PostgreSQL physical standby of ``database_url``): the
    API and ``lcm-etl page`` read there; the pipeline always writes to ``database_url``. Unset:
    they read ``database_url``."""
    ecommerce_database_url: str | None = None
    """ecommerce source. Unset: the demo SQLite file in ``data_dir`` (``lcm-etl demo-source``)."""
    lms_database_url: str | None = None
    license_manager_database_url: str | None = None
    subsidy_database_url: str | None = None
    """enterprise-subsidy (with the openedx-ledger tables), ledger era. Unset: no ledger-era data
    (except the demo file's, as for the LMS)."""
    access_database_url: str | None = None
    """enterprise-access (budgets = subsidy access policies, assignments), ledger era."""
    data_dir: Path = Path(".lcm")
    """Embedded PostgreSQL data folder, demo source files, caches. Git-ignored."""

    # --- extraction ---------------------------------------------------------------------------
    batch_size: int = Field(default=20_000, ge=100, le=1_000_000)
    extract_id_overlap: int = Field(default=1_000, ge=0)
    """Incremental passes re-read this many ids below an id watermark (rows commit out of order)."""
    extract_time_overlap_seconds: int = Field(default=900, ge=0)
    """Incremental passes re-read rows modified this long before a time watermark."""
    pending_order_lookback_days: float = Field(default=14.0, gt=0, le=3650)
    """Incremental passes re-read the landed orders still Pending (ecommerce's ``order_order``
    has no modification time, so a Pending order that completes is only seen if re-read) that
    were placed within this many days of the newest landed order. An order that stays Pending
    longer and then completes is picked up by the daily full pass (``LCM_FULL_PASS_HOUR_UTC``).
    Bounds the incremental pass's work by recent traffic instead of every Pending order ever."""
    lock_timeout_seconds: float = Field(default=600.0, ge=0)
    """How long a pass waits for the pass already running before it gives up."""
    transform_random_page_cost: float = Field(default=1.1, gt=0, le=100)
    """PostgreSQL random_page_cost for the publish transaction. An incremental publish joins a
    few thousand orders to tables of millions; with the default 4.0 (spinning disks) the planner
    scans those tables whole instead of looking the rows up by index. 1.1 suits SSDs and a cached
    read model; raise it for slow network storage."""
    transform_work_mem_mb: int = Field(default=256, ge=4, le=65_536)
    """PostgreSQL work_mem for the publish transaction: its sorts and hashes run over every
    redemption on a full pass, and spilling them to disk is the difference between seconds and
    tens of seconds."""

    # --- rules --------------------------------------------------------------------------------
    low_balance_fraction: Decimal = Field(default=Decimal("0.75"), gt=0, lt=1)
    """An offer is ``low`` when percent spent is above this fraction (exactly equal is not low)."""
    no_balance_amount: Decimal = Field(default=Decimal("100"), ge=0)
    """An offer is ``depleted`` when remaining is at or below this many dollars."""

    # --- event bus ----------------------------------------------------------------------------
    event_bus_redis_url: str | None = None
    event_bus_topic_prefix: str = "dev"
    event_bus_topics: Annotated[tuple[str, ...], NoDecode] = DEFAULT_EVENT_TOPICS
    event_bus_consumer_group: str = "lcm-etl"
    event_bus_consumer_name: str = "lcm-etl-1"
    airflow_api_url: str | None = None
    airflow_api_token: str | None = None

    # --- serving ------------------------------------------------------------------------------
    api_auth: ApiAuth = ApiAuth.JWT
    jwt_secret: str | None = None
    jwt_public_keys: str | None = None
    """A JWKS document (JSON) with the RS256/RS512 public keys of the LMS."""
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    public_base_url: str | None = None
    """The API's public address (``https://lcm.example.com``): the ``next``/``previous`` links of
    paged answers start with it. Unset: those links are relative (path and query only), never
    built from the request's ``Host`` header, which a client controls."""
    jwt_auth_cookie_header_payload: str = Field(
        default="edx-jwt-cookie-header-payload", pattern=COOKIE_NAME_PATTERN
    )
    """The cookie holding the JWT's ``header.payload`` (edx-drf-extensions'
    ``JWT_AUTH_COOKIE_HEADER_PAYLOAD``; the admin portal sends it cross-origin)."""
    jwt_auth_cookie_signature: str = Field(
        default="edx-jwt-cookie-signature", pattern=COOKIE_NAME_PATTERN
    )
    """The cookie holding the JWT's signature (``JWT_AUTH_COOKIE_SIGNATURE``)."""
    frontend_app_learning_url: str | None = None
    """The learning MFE's address (enterprise-subsidy's ``FRONTEND_APP_LEARNING_URL``, such as
    ``https://learning.example.com``): each transaction's ``courseware_url`` is this joined with
    ``course/<content_key>/home`` (``urljoin``, as the service does). Unset: ``courseware_url`` is
    null (lcm-etl cannot know the address)."""
    enterprise_subsidy_url: str | None = None
    """enterprise-subsidy's own address (its ``ENTERPRISE_SUBSIDY_URL``, such as
    ``https://enterprise-subsidy.example.com``): each transaction's ``transaction_status_api_url``
    is ``urljoin`` of this and ``/api/v1/transactions/<uuid>/``, as the service renders it (so any
    path on this address is dropped, as there). Unset: ``transaction_status_api_url`` is null —
    lcm-etl serves no transaction status endpoint, so a link to itself would be a dead one."""
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma list of exact origins (``https://portal.example.com``) whose pages may call the API
    with credentials (the admin portal). Empty: no cross-origin access."""

    # --- alerts -------------------------------------------------------------------------------
    notifier: Notifier = Notifier.NONE
    webhook_url: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "lcm-etl@localhost"

    # --- orchestration: event consumer, scheduled passes, alert delivery -----------------------
    event_bus_batch_size: int = Field(default=500, ge=1, le=10_000)
    """The consumer refreshes once per batch of at most this many stream entries."""
    event_bus_block_ms: int = Field(default=5_000, ge=10, le=60_000)
    """How long a waiting consumer blocks on XREADGROUP before it checks for a stop request."""
    event_bus_claim_min_idle_ms: int = Field(default=60_000, ge=0)
    """Entries pending this long with another consumer of the group are reclaimed (XAUTOCLAIM)."""
    event_bus_retry_initial_seconds: float = Field(default=1.0, gt=0, le=60)
    """The consumer's first wait after losing Redis or the read model; each retry doubles it."""
    event_bus_retry_max_seconds: float = Field(default=60.0, gt=0, le=3_600)
    """The longest wait between two retries of the consumer (capped exponential backoff)."""
    event_bus_drain_max_entries: int = Field(default=10_000, ge=1, le=1_000_000)
    """Before it refreshes, the consumer lands every entry the streams hold, batch after batch,
    up to this many: a burst becomes one refresh, and a stream that never pauses cannot postpone
    the refresh forever."""
    event_targeted_max_enterprises: int = Field(default=500, ge=1, le=100_000)
    """A refresh for events naming more enterprises than this is an incremental pass instead of
    a targeted one (above it, the targeted pass would cost about as much, and keep growing)."""
    event_publish_in_ingest: bool = True
    """With Airflow: an ingest run started by event-bus asset events also publishes, in the same
    task, instead of leaving it to the lcm_publish run its landing asset starts (which then has
    nothing left to do). One task instead of two on the event path: one scheduler hop and one
    task start-up fewer between the event and the page (docs/benchmarks.md)."""
    full_pass_hour_utc: int = Field(default=0, ge=0, le=23)
    """The scheduled ingest of this UTC hour re-reads every source row (daily full pass)."""
    notify_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    """Timeout of one SMTP or webhook delivery attempt."""

    # --- eligibility and data-sharing consent -----------------------------------------------
    hide_emails_when_consent_unknown: bool = False
    """Hide learner emails of enterprises the LMS has never described (consent unknown).

    Off by default: without an LMS source the read model shows emails as ecommerce has them. Once
    the LMS has been read, its consent settings are kept even if the source is later unset, so a
    configuration slip never reveals emails that were hidden. See README "Eligibility"."""

    # --- tests --------------------------------------------------------------------------------
    test_database_url: str | None = None
    test_mysql_url: str | None = None

    _check_urls = field_validator(
        "database_url",
        "read_database_url",
        "ecommerce_database_url",
        "lms_database_url",
        "license_manager_database_url",
        "subsidy_database_url",
        "access_database_url",
        "test_database_url",
        "test_mysql_url",
    )(_check_sqlalchemy_url)

    @field_validator("event_bus_topics", mode="before")
    @classmethod
    def _split_topics(cls, value: Any) -> Any:
        if isinstance(value, str):
            topics = tuple(t.strip() for t in value.split(",") if t.strip())
            if not topics:
                raise ValueError("must name at least one topic (a comma-separated list)")
            return topics
        return value

    @field_validator("public_base_url")
    @classmethod
    def _check_public_base_url(cls, value: str | None) -> str | None:
        checked = _check_base_url(value, "https://lcm.example.com")
        return checked.rstrip("/") if checked else None

    @field_validator("frontend_app_learning_url")
    @classmethod
    def _check_learning_url(cls, value: str | None) -> str | None:
        # Kept as written: urljoin treats a trailing slash as the service does.
        return _check_base_url(value, "https://learning.example.com")

    @field_validator("enterprise_subsidy_url")
    @classmethod
    def _check_enterprise_subsidy_url(cls, value: str | None) -> str | None:
        return _check_base_url(value, "https://enterprise-subsidy.example.com")

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value
        # Browsers send scheme and host in lowercase.
        origins = tuple(str(item).strip().lower() for item in items if str(item).strip())
        bad = [origin for origin in origins if not _ORIGIN.fullmatch(origin)]
        if bad:
            raise ValueError(
                f"must list exact origins like https://portal.example.com (scheme, host and "
                f"optional port; no path, no trailing slash, no wildcard); not {', '.join(bad)}"
            )
        return origins

    @field_validator("jwt_public_keys")
    @classmethod
    def _check_jwks(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            document = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not JSON ({exc.msg})") from None
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError('must be a JWKS document: {"keys": [...]}')
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.notifier is Notifier.WEBHOOK and not self.webhook_url:
            raise ValueError("LCM_NOTIFIER=webhook needs LCM_WEBHOOK_URL")
        if self.jwt_auth_cookie_header_payload == self.jwt_auth_cookie_signature:
            raise ValueError(
                "LCM_JWT_AUTH_COOKIE_HEADER_PAYLOAD and LCM_JWT_AUTH_COOKIE_SIGNATURE must differ"
            )
        if bool(self.airflow_api_url) != bool(self.airflow_api_token):
            raise ValueError("LCM_AIRFLOW_API_URL and LCM_AIRFLOW_API_TOKEN must be set together")
        return self

    @property
    def demo_source_path(self) -> Path:
        """Where ``lcm-etl demo-source`` writes its SQLite file by default."""
        return self.data_dir / "demo-source.sqlite"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pgdata"


def _describe(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ())]
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if not location:
        return message.rstrip(".") + "."
    variable = "LCM_" + location[0].upper()
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
    return f"{variable} {message[0].lower()}{message[1:]}{shown}."


def load_settings(**overrides: Any) -> Settings:
    """Read the environment; raise :class:`ConfigError` naming every bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        sentences = [_describe(dict(err)) for err in exc.errors()]
        raise ConfigError(" ".join(sentences)) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
