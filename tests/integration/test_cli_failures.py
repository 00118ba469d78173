"""Every expected failure of the CLI is one or two sentences naming what failed and what to
check, and a non-zero exit — never a traceback (issue: a lock timeout printed 45 lines, an
unreachable read model 145, a refused Redis 80)."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner, Result

from lcm_etl import cli
from lcm_etl.db import make_engine, pipeline_lock
from lcm_etl.settings import get_settings

UNREACHABLE_POSTGRES = "postgresql://lcm@127.0.0.1:1/lcm"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run ``lcm-etl ARGS`` with these ``LCM_*`` variables (and no others from the caller)."""

    def run(args: list[str], **env: str) -> Result:
        monkeypatch.setenv("LCM_DATA_DIR", str(tmp_path / "data"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli.app, args)
        finally:
            get_settings.cache_clear()

    return run


def assert_told_in_sentences(result: Result, *names: str, output: str | None = None) -> None:
    """A non-zero exit, no traceback, and one or two sentences (a driver's own message, in
    parentheses, is part of a sentence) naming each of ``names``."""
    text = " ".join((result.output if output is None else output).split())
    assert result.exit_code not in (0, None), text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in text
    outside_parentheses = re.sub(r"\([^)]*\)", "", text)
    assert 1 <= len(re.findall(r"[.!?](?:\s|$)", outside_parentheses)) <= 2, text
    for name in names:
        assert name in text, text


@pytest.mark.parametrize(
    "args",
    [["run", "--full"], ["page", "0a9ad1e6-6f5e-4c3b-9a57-1d2c3b4a5e6f"], ["migrate"]],
    ids=["run", "page", "migrate"],
)
def test_an_unreachable_read_model_is_a_sentence(invoke, args) -> None:
    result = invoke(args, LCM_DATABASE_URL=UNREACHABLE_POSTGRES)
    assert_told_in_sentences(result, "LCM_DATABASE_URL", "127.0.0.1")
    assert result.exit_code == 1


def test_a_lock_timeout_is_a_sentence(invoke, database_url: URL, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    try:
        with pipeline_lock(engine, timeout_seconds=5):  # another pass is running
            result = invoke(
                ["run", "--full"],
                LCM_DATABASE_URL=database_url.render_as_string(hide_password=False),
                LCM_LOCK_TIMEOUT_SECONDS="0",
            )
    finally:
        engine.dispose()
    assert_told_in_sentences(result, "LCM_LOCK_TIMEOUT_SECONDS", "lock")
    assert result.exit_code == 1


def test_a_source_without_its_tables_is_a_sentence(
    invoke, database_url: URL, tmp_path: Path
) -> None:
    empty = tmp_path / "typo.sqlite"
    sqlite3.connect(empty).close()
    result = invoke(
        ["run", "--full"],
        LCM_DATABASE_URL=database_url.render_as_string(hide_password=False),
        LCM_ECOMMERCE_DATABASE_URL=f"sqlite:///{empty}",
    )
    assert_told_in_sentences(result, "LCM_ECOMMERCE_DATABASE_URL", "offer_conditionaloffer")
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("variable", "value"),
    [("LCM_BATCH_SIZE", "ten"), ("LCM_DATABASE_URL", "not a url"), ("LCM_API_AUTH", "maybe")],
)
def test_a_bad_setting_is_a_sentence_naming_it(invoke, variable, value) -> None:
    result = invoke(["run"], **{variable: value})
    assert_told_in_sentences(result, variable)
    assert result.exit_code == 2


def test_consume_events_with_redis_refusing_is_a_sentence_after_retries(
    invoke, database_url: URL, caplog: pytest.LogCaptureFixture
) -> None:
    result = invoke(
        ["consume-events", "--until-idle"],
        LCM_DATABASE_URL=database_url.render_as_string(hide_password=False),
        LCM_EVENT_BUS_REDIS_URL=UNREACHABLE_REDIS,
        LCM_EVENT_BUS_RETRY_INITIAL_SECONDS="0.01",
        LCM_EVENT_BUS_RETRY_MAX_SECONDS="0.02",
    )
    # The consumer says what it consumes first, then fails.
    error = result.output[result.output.index("error:") :]
    assert_told_in_sentences(result, "LCM_EVENT_BUS_REDIS_URL", output=error)
    assert result.exit_code == 1
    retries = [r for r in caplog.records if "Retrying in" in r.getMessage()]
    assert len(retries) == 2  # three attempts with --until-idle, each failure logged


def test_consume_events_with_the_read_model_down_is_a_sentence(
    invoke, caplog: pytest.LogCaptureFixture
) -> None:
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    result = invoke(
        ["consume-events", "--until-idle"],
        LCM_DATABASE_URL=UNREACHABLE_POSTGRES,
        LCM_EVENT_BUS_REDIS_URL="redis://127.0.0.1:6379/0",
        LCM_EVENT_BUS_TOPIC_PREFIX=f"lcmtest{uuid.uuid4().hex[:10]}",
        LCM_EVENT_BUS_RETRY_INITIAL_SECONDS="0.01",
        LCM_EVENT_BUS_RETRY_MAX_SECONDS="0.02",
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "LCM_DATABASE_URL" in " ".join(result.output.split())
