"""Helpers for the serving tests: hand-made read-model rows (Core inserts into lcm.*, the way a
publish writes them) and signed JWTs."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from decimal import Decimal
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Engine, insert

from lcm_etl.schema import offer_redemption, offer_summary, pipeline_run

UTC = dt.UTC
NOW = dt.datetime.now(UTC).replace(microsecond=0)
SECRET = "serving-tests-hs256-secret-of-at-least-32-bytes"
ACME = uuid.UUID("0a9ad1e6-6f5e-4c3b-9a57-1d2c3b4a5e6f")
GLOBEX = uuid.UUID("7f3c1b7e-5a41-4b0a-9c53-2f1e0d9a6b11")
CATALOG = uuid.UUID("c6a8e3d1-2b4f-4a7e-9c1d-3f5b7a9e1c2d")
DATA_AS_OF = dt.datetime(2026, 3, 1, 6, 0, 41, tzinfo=UTC)


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class ReadModel:
    """Writes read-model rows the way a publish would, with consistent derived columns."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._offer_ids = itertools.count(8812)
        self._line_ids = itertools.count(1)

    def offer(
        self,
        enterprise: uuid.UUID = ACME,
        *,
        offer_id: int | None = None,
        max_discount: Any = "5000.00",
        net: Any = "200.00",
        refunded: Any = "0.00",
        start: dt.datetime | None = NOW - dt.timedelta(days=30),
        end: dt.datetime | None = NOW + dt.timedelta(days=335),
        enterprise_name: str = "Acme Corp",
        status: str = "Open",
        offer_type: str = "Site",
        usage_type: str = "Percentage",
        discount_value: Any = "100.00",
        max_user_discount: Any = None,
        max_user_applications: int | None = None,
        max_global_applications: int | None = None,
        total_discount_ecommerce: Any = None,
        num_applications: int | None = 3,
        data_as_of: dt.datetime = DATA_AS_OF,
        source: dict[str, Any] | None = None,
        balance_state: str | None = None,
        **columns: Any,
    ) -> int:
        offer_id = offer_id if offer_id is not None else next(self._offer_ids)
        cap = _money(max_discount)
        net_spent = Decimal(str(net))
        gross = net_spent + Decimal(str(refunded))
        remaining = None if cap is None else cap - net_spent
        percent = None if cap is None or cap == 0 else net_spent / cap
        if balance_state is None:
            if cap is None:
                balance_state = "uncapped"
            elif remaining is not None and remaining <= 100:
                balance_state = "depleted"
            elif percent is not None and percent > Decimal("0.75"):
                balance_state = "low"
            else:
                balance_state = "ok"
        display = f"{enterprise_name} - {start.strftime('%b%y').upper()}" if start else None
        total_discount = (
            _money(total_discount_ecommerce) if total_discount_ecommerce is not None else gross
        )
        source_offer = {
            "id": offer_id,
            "name": f"Discount of type Site provided by {enterprise_name} for {CATALOG}.",
            "slug": f"discount-of-type-site-provided-by-{offer_id}",
            "description": "",
            "offer_type": offer_type,
            "exclusive": True,
            "status": status,
            "priority": 10,
            "redirect_url": "",
            "email_domains": None,
            "site_id": None,
            "enterprise_contract_metadata_id": 512,
            "salesforce_opportunity_line_item": None,
            "start_datetime": start.isoformat() if start else None,
            "end_datetime": end.isoformat() if end else None,
            "max_global_applications": max_global_applications,
            "max_user_applications": max_user_applications,
            "max_basket_applications": 1,
            "max_discount": float(cap) if cap is not None else None,
            "max_user_discount": None,
            "total_discount": float(total_discount) if total_discount is not None else 0,
            "num_applications": num_applications,
            "num_orders": num_applications,
            "date_created": "2021-12-20T16:05:11.482913+00:00",
            "benefit_id": 9031,
            "condition_id": 9120,
            "partner_id": 1,
            "emails_for_usage_alert": "lc-admin@acme.example",
            "usage_email_frequency": "DAILY",
            "sales_force_id": "0065G00000AbCdEfGH",
        }
        source_offer.update(source or {})
        values: dict[str, Any] = {
            "offer_id": offer_id,
            "enterprise_customer_uuid": enterprise,
            "enterprise_name": enterprise_name,
            "display_name": display,
            "offer_name": source_offer["name"],
            "offer_type": offer_type,
            "status": status,
            "start_datetime": start,
            "end_datetime": end,
            "date_created": dt.datetime(2021, 12, 20, 16, 5, 11, 482913, tzinfo=UTC),
            "usage_type": usage_type,
            "discount_value": _money(discount_value),
            "max_discount": cap,
            "max_user_discount": _money(max_user_discount),
            "max_user_applications": max_user_applications,
            "max_global_applications": max_global_applications,
            "enterprise_catalog_uuid": CATALOG,
            "emails_for_usage_alert": "lc-admin@acme.example",
            "amount_spent": gross,
            "amount_refunded": Decimal(str(refunded)),
            "amount_of_offer_spent": net_spent,
            "remaining_balance": remaining,
            "percent_of_offer_spent": percent,
            "redeemed_funds": net_spent if cap is None else min(net_spent, cap),
            "remaining_funds": None if remaining is None else max(remaining, Decimal(0)),
            "percent_utilized": None if percent is None else min(percent, Decimal(1)),
            "balance_state": balance_state,
            "enrollment_count": 3,
            "learner_count": 3,
            "sum_course_price": net_spent,
            "sum_amount_learner_paid": Decimal(0),
            "first_spend_at": None,
            "last_spend_at": None,
            "total_discount_ecommerce": total_discount,
            "ecommerce_drift": None if total_discount is None else total_discount - net_spent,
            "num_applications_ecommerce": num_applications,
            "num_orders_ecommerce": num_applications,
            "is_fcfs_org_wide": usage_type == "Percentage"
            and _money(discount_value) == 100
            and max_user_applications is None
            and max_user_discount is None,
            "source_offer": source_offer,
            "data_as_of": data_as_of,
        }
        values.update(columns)
        with self.engine.begin() as conn:
            conn.execute(insert(offer_summary).values(**values))
        return offer_id

    def redemption(
        self,
        offer_id: int,
        enterprise: uuid.UUID = ACME,
        *,
        user_email: str | None = "alice@acme.example",
        course_title: str | None = "Demonstration Course",
        course_list_price: Any = "300.00",
        amount: Any = "300.00",
        amount_learner_paid: Any = "0.00",
        enrollment_date: dt.date = dt.date(2026, 2, 14),
        is_refunded: bool = False,
        courserun_key: str | None = "course-v1:edX+DemoX+2T2026",
        **columns: Any,
    ) -> int:
        line_id = next(self._line_ids)
        values: dict[str, Any] = {
            "order_discount_id": 1000 + line_id,
            "order_line_id": line_id,
            "offer_id": offer_id,
            "enterprise_customer_uuid": enterprise,
            "order_id": 5000 + line_id,
            "order_number": f"EDX-{100000 + line_id}",
            "ecommerce_user_id": 70 + line_id,
            "lms_user_id": 900 + line_id,
            "user_email": user_email,
            "course_key": "edX+DemoX",
            "courserun_key": courserun_key,
            "course_title": course_title,
            "course_list_price": _money(course_list_price),
            "amount": Decimal(str(amount)),
            "amount_learner_paid": _money(amount_learner_paid),
            "redeemed_at": dt.datetime.combine(enrollment_date, dt.time(12), tzinfo=UTC),
            "enrollment_date": enrollment_date,
            "is_refunded": is_refunded,
            "amount_refunded": Decimal(str(amount)) if is_refunded else Decimal(0),
            "refunded_at": None,
            "enterprise_enrollment_id": 5_583_000 + line_id,
        }
        values.update(columns)
        with self.engine.begin() as conn:
            conn.execute(insert(offer_redemption).values(**values))
        return line_id

    def publish_run(
        self,
        *,
        status: str = "succeeded",
        finished_at: dt.datetime | None = None,
        data_as_of: dt.datetime | None = DATA_AS_OF,
        mode: str = "full",
        enterprise_uuids: list[uuid.UUID] | None = None,
    ) -> None:
        finished = finished_at or dt.datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(pipeline_run).values(
                    stage="publish",
                    trigger="manual",
                    mode=mode,
                    status=status,
                    started_at=finished - dt.timedelta(seconds=5),
                    finished_at=finished,
                    data_as_of=data_as_of,
                    enterprise_uuids=enterprise_uuids,
                )
            )


def make_token(
    roles: Any,
    *,
    key: Any = SECRET,
    algorithm: str = "HS256",
    expires_in: dt.timedelta = dt.timedelta(hours=1),
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    now = dt.datetime.now(UTC)
    payload: dict[str, Any] = {
        "preferred_username": "lc_admin",
        "iat": int(now.timestamp()),
        "exp": int((now + expires_in).timestamp()),
        "roles": roles,
        **claims,
    }
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def rsa_jwk(kid: str) -> tuple[Any, dict[str, Any]]:
    """A fresh RSA private key and its public JWK (with ``kid``), as the LMS publishes them."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": kid, "use": "sig"})
    return private, public


def jwt_cookies(token: str) -> dict[str, str]:
    """The token split the way the LMS sets it in the browser: ``header.payload`` and signature."""
    header_payload, _, signature = token.rpartition(".")
    return {
        "edx-jwt-cookie-header-payload": header_payload,
        "edx-jwt-cookie-signature": signature,
    }


def cookie_header(cookies: dict[str, str]) -> str:
    """A ``Cookie`` request header, as a browser sends it."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def admin_of(enterprise: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"JWT {make_token([f'enterprise_admin:{enterprise}'])}"}


OPERATOR = {"Authorization": f"JWT {make_token(['enterprise_openedx_operator:*'])}"}
