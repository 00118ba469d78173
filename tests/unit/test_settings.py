"""Settings: defaults, and a bad value stops start-up with a sentence naming the variable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lcm_etl.settings import ConfigError, load_settings


def test_defaults_are_the_admin_portal_thresholds(monkeypatch) -> None:
    for name in ("LCM_LOW_BALANCE_FRACTION", "LCM_NO_BALANCE_AMOUNT", "LCM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.low_balance_fraction == Decimal("0.75")
    assert settings.no_balance_amount == Decimal("100")
    assert settings.database_url is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LCM_LOW_BALANCE_FRACTION", "lots", "LCM_LOW_BALANCE_FRACTION"),
        ("LCM_LOW_BALANCE_FRACTION", "1.5", "LCM_LOW_BALANCE_FRACTION"),
        ("LCM_NO_BALANCE_AMOUNT", "-1", "LCM_NO_BALANCE_AMOUNT"),
        ("LCM_BATCH_SIZE", "ten", "LCM_BATCH_SIZE"),
        ("LCM_DATABASE_URL", "not a url", "LCM_DATABASE_URL"),
        ("LCM_API_AUTH", "maybe", "LCM_API_AUTH"),
        ("LCM_JWT_PUBLIC_KEYS", "{", "LCM_JWT_PUBLIC_KEYS"),
        ("LCM_EVENT_BUS_TOPICS", " , ", "LCM_EVENT_BUS_TOPICS"),
        ("LCM_PUBLIC_BASE_URL", "lcm.example.com", "LCM_PUBLIC_BASE_URL"),
        ("LCM_PUBLIC_BASE_URL", "javascript:alert(1)", "LCM_PUBLIC_BASE_URL"),
        ("LCM_PUBLIC_BASE_URL", "https://lcm.example.com/?a=1", "LCM_PUBLIC_BASE_URL"),
        ("LCM_FRONTEND_APP_LEARNING_URL", "learning.example.com", "LCM_FRONTEND_APP_LEARNING_URL"),
        ("LCM_FRONTEND_APP_LEARNING_URL", "javascript:x", "LCM_FRONTEND_APP_LEARNING_URL"),
        ("LCM_ENTERPRISE_SUBSIDY_URL", "subsidy.example.com", "LCM_ENTERPRISE_SUBSIDY_URL"),
        ("LCM_ENTERPRISE_SUBSIDY_URL", "ftp://subsidy.example.com", "LCM_ENTERPRISE_SUBSIDY_URL"),
        ("LCM_ENTERPRISE_SUBSIDY_URL", "https://s.example.com/?a=1", "LCM_ENTERPRISE_SUBSIDY_URL"),
    ],
)
def test_a_bad_value_names_its_variable(monkeypatch, variable, value, message) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings()
    assert repr(value) in str(raised.value) or value.strip(" ,") == ""


def test_every_bad_variable_is_named_at_once(monkeypatch) -> None:
    monkeypatch.setenv("LCM_BATCH_SIZE", "ten")
    monkeypatch.setenv("LCM_NO_BALANCE_AMOUNT", "-5")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "LCM_BATCH_SIZE" in str(raised.value)
    assert "LCM_NO_BALANCE_AMOUNT" in str(raised.value)
