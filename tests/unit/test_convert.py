"""Source values into landing values: every accepted form, and a clear BadValue for the rest."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lcm_etl import convert


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (13.37, Decimal("13.37")),  # SQLite hands back floats: no 13.3699999…
        ("1.63", Decimal("1.63")),
        (Decimal("50000.00"), Decimal("50000.00")),
        (7, Decimal(7)),
        (b"2.50", Decimal("2.50")),
    ],
)
def test_decimals_in_every_form_a_source_returns(value, expected) -> None:
    assert convert.to_decimal(value) == expected


@pytest.mark.parametrize("value", ["abc", "", float("nan"), float("inf"), "1e20", True, object()])
def test_bad_decimals_are_bad_values(value) -> None:
    with pytest.raises(convert.BadValue):
        convert.to_decimal(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01 10:00:00.000000", dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)),
        ("2026-03-01T10:00:00Z", dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)),  # naive = UTC
        (dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
        (
            dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
        ),
    ],
)
def test_datetimes_become_utc(value, expected) -> None:
    assert convert.to_datetime(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "0000-00-00 00:00:00", "", 17, "2026-13-01"])
def test_bad_datetimes_are_bad_values(value) -> None:
    with pytest.raises(convert.BadValue):
        convert.to_datetime(value)


def test_uuids_are_normalized_to_the_32_hex_form_django_stores() -> None:
    assert (
        convert.to_uuid_hex("0A9AD1E6-6F5E-4C3B-9A57-1D2C3B4A5E6F")
        == "0a9ad1e66f5e4c3b9a571d2c3b4a5e6f"
    )
    with pytest.raises(convert.BadValue):
        convert.to_uuid_hex("not-a-uuid")


def test_text_refuses_nul_bytes_postgres_cannot_store() -> None:
    with pytest.raises(convert.BadValue):
        convert.to_text("a\x00b")


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.binary(),
    st.decimals(allow_nan=True),
    st.datetimes(),
    st.dates(),
)


@given(anything)
def test_converters_either_convert_or_raise_bad_value(value) -> None:
    for converter in (
        convert.to_int,
        convert.to_decimal,
        convert.to_datetime,
        convert.to_text,
        convert.to_bool,
        convert.to_uuid_hex,
    ):
        with contextlib.suppress(convert.BadValue):
            converter(value)
