"""A targeted pass costs what its enterprises own: on a source with many more enterprises —
their pending orders, users, products and learners — a targeted pass for the same enterprise
reads exactly as many source rows. Counts from the run log, never times."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select

from lcm_etl import pipeline
from lcm_etl.events.enterprises import enterprise_customer_user
from lcm_etl.schema import offer_summary
from lcm_etl.settings import Settings

from support.sourcebuilder import SourceBuilder

ACME = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
LINK = {
    "created": dt.datetime(2026, 1, 1),
    "modified": dt.datetime(2026, 1, 1),
    "active": True,
    "linked": True,
    "should_inactivate_other_customers": False,
    "is_relinkable": True,
}


def _enterprise(source: SourceBuilder, enterprise: uuid.UUID, name: str, tag: str) -> int:
    """An offer with three enrollments, one order still pending, and three linked learners."""
    offer = source.offer(enterprise, name=name, max_discount=Decimal("9000.00"))
    for number in range(3):
        run = f"course-v1:{tag}+C{number}+1"
        source.order(offer, f"l{number}@{tag}.example", [(run, Decimal("100"), Decimal("0"))])
    source.order(
        offer,
        f"p@{tag}.example",
        [(f"course-v1:{tag}+P+1", Decimal("80"), Decimal("0"))],
        status="Pending",
    )
    with source.engine.begin() as conn:
        conn.execute(
            insert(enterprise_customer_user),
            [
                {
                    "user_id": hash((tag, n)) % 10**9,
                    "enterprise_customer_id": enterprise.hex,
                    **LINK,
                }
                for n in range(3)
            ],
        )
    return offer


def _targeted_counts(make_settings: Any, tmp_path: Path, others: int) -> dict[str, int]:
    """Acme (the same rows every time) among ``others`` other enterprises: a full pass, a new
    Acme enrollment, then the counts of Acme's targeted ingest."""
    source_url = f"sqlite:///{tmp_path / f'source-{others}.sqlite'}"
    source = SourceBuilder(source_url)
    enterprise_customer_user.create(source.engine)
    acme_offer = _enterprise(source, ACME, "Acme", "acme")
    for index in range(others):
        _enterprise(source, uuid.UUID(int=index + 1), f"Other {index}", f"other{index}")
    settings: Settings = make_settings(
        ecommerce_database_url=source_url,
        lms_database_url=source_url,
        data_dir=tmp_path / f"data-{others}",
    )
    pipeline.run_pass(settings, mode="full", trigger="manual")
    source.order(
        acme_offer, "new@acme.example", [("course-v1:acme+N+1", Decimal("45"), Decimal("0"))]
    )
    result = pipeline.run_pass(settings, mode="targeted", trigger="event", enterprise_uuids=[ACME])
    engine = create_engine(settings.database_url or "")
    with engine.connect() as conn:
        spent = conn.execute(
            select(offer_summary.c.amount_spent).where(offer_summary.c.offer_id == acme_offer)
        ).scalar_one()
    engine.dispose()
    assert spent == Decimal("345.00")
    return {k: v for k, v in result.ingest.counts.items() if k.startswith("extracted")}


def test_a_targeted_pass_reads_no_more_rows_on_a_larger_source(
    make_settings: Any, tmp_path: Path, pg_admin_url: Any, template_database: str
) -> None:
    small = _targeted_counts(make_settings, tmp_path, others=1)
    # A second, fresh read model for the larger source (make_settings points at one database).
    from conftest import _create_database, _drop_database

    name = f"lcm_test_{uuid.uuid4().hex[:12]}"
    url = _create_database(pg_admin_url, name, template=template_database)
    try:
        larger = _targeted_counts(
            lambda **o: make_settings(
                **{"database_url": url.render_as_string(hide_password=False), **o}
            ),
            tmp_path,
            others=25,
        )
    finally:
        _drop_database(pg_admin_url, name)

    assert larger == small
    # Only what Acme owns: its five orders (the new one; the others re-read within the discount
    # id overlap, the pending one also as pending), with their lines and their learners.
    assert small["extracted.order_order"] == 5
    assert small["extracted.order_line"] == 5
    assert small["extracted.ecommerce_user"] == 5
