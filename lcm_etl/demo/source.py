"""``generate``: write a deterministic demo source (ecommerce + LMS + license-manager tables)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.engine import URL, make_url

from lcm_etl.db import make_engine
from lcm_etl.demo import ledger as demo_ledger
from lcm_etl.demo import plan as p
from lcm_etl.demo.builder import Builder
from lcm_etl.demo.catalog import COMPLETE, BadRow
from lcm_etl.demo.planning import build_plan
from lcm_etl.demo.writer import column_is_nullable, open_sink, prepare_tables
from lcm_etl.ingest.sources import ecommerce
from lcm_etl.queries.balance import Thresholds, balance_state


@dataclasses.dataclass(frozen=True)
class OfferFacts:
    """One learner-credit offer as generated (money in USD)."""

    offer_id: int
    kind: str
    timing: str
    usage_type: str
    discount_value: Decimal
    max_discount: Decimal | None
    net_spend: Decimal
    total_discount_ecommerce: Decimal
    redemptions: int

    @property
    def remaining(self) -> Decimal | None:
        return None if self.max_discount is None else self.max_discount - self.net_spend

    @property
    def balance_state(self) -> str:
        """The state the pipeline will publish for this offer, at the default thresholds."""
        return balance_state(self.max_discount, self.net_spend, Thresholds())

    def describe(self) -> str:
        limit = "uncapped" if self.max_discount is None else f"max ${self.max_discount:,}"
        spent = f"net ${self.net_spend:,}"
        if self.max_discount:
            spent += f" ({self.net_spend / self.max_discount:.1%})"
        return (
            f"offer {self.offer_id} [{self.timing} {self.usage_type} {self.discount_value}, "
            f"{self.kind}]: {limit}, {spent}, {self.redemptions} redemptions, {self.balance_state}"
        )


@dataclasses.dataclass(frozen=True)
class ShowcaseFacts:
    uuid: str
    name: str
    demonstrates: str
    offers: tuple[OfferFacts, ...]


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    """What ``generate`` wrote: row counts, the showcase enterprises, the deliberate bad rows."""

    url: str
    seed: int
    scale: str
    table_counts: Mapping[str, int]
    enterprises: int
    learner_credit_offers: int
    redemptions: int  # Complete order discounts of learner-credit offers (bad rows excluded)
    refunds: Mapping[str, int]  # "<status> <full|partial>" -> count
    showcases: tuple[ShowcaseFacts, ...]
    other_cases: Mapping[str, str]  # case -> where to find it
    bad_rows: tuple[BadRow, ...]
    largest_enterprises: tuple[tuple[str, str, int], ...]  # (uuid, name, redemptions)
    seconds: float
    ledger: str = ""  # issue 14: what the ledger-era tables hold

    def showcase(self, enterprise_uuid: str) -> ShowcaseFacts:
        return next(s for s in self.showcases if s.uuid == enterprise_uuid)

    def describe(self) -> str:
        lines = [
            f"demo source (seed {self.seed}, scale {self.scale}) written to {self.url} "
            f"in {self.seconds:.1f} s",
            f"  {self.enterprises:,} enterprises, {self.learner_credit_offers:,} learner-credit "
            f"offers, {self.redemptions:,} redemptions",
            "  refunds: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.refunds.items())),
            "rows per table:",
            *(f"  {name:<36} {count:>12,}" for name, count in self.table_counts.items()),
            "showcase enterprises:",
        ]
        for showcase in self.showcases:
            lines.append(f"  {showcase.uuid}  {showcase.name}: {showcase.demonstrates}")
            lines.extend(f"      {offer.describe()}" for offer in showcase.offers)
        lines.append("largest enterprises:")
        lines.extend(f"  {u}  {n}: {r:,} redemptions" for u, n, r in self.largest_enterprises)
        lines.append("other cases:")
        lines.extend(f"  {case}: {where}" for case, where in self.other_cases.items())
        if self.ledger:
            lines.append(self.ledger)
        lines.append("deliberate bad rows (an ETL must reject them, with a reason):")
        lines.extend(f"  {b.kind}: {b.table} {b.key} — {b.note}" for b in self.bad_rows)
        return "\n".join(lines)


def resolve_scale(scale: str) -> p.ScaleSpec:
    spec = p.SCALES.get(scale.upper()) if isinstance(scale, str) else None
    if spec is None:
        raise ValueError(f"unknown demo scale {scale!r}: choose one of {', '.join(p.SCALES)}")
    return spec


def generate(
    url: str,
    *,
    seed: int,
    scale: str,
    replace: bool,
    console: Console | None = None,
    _scale_spec: p.ScaleSpec | None = None,
) -> DemoSummary:
    """Write the demo source for ``seed`` and ``scale`` into the database at ``url``.

    Missing tables are created; ``replace`` drops and recreates the demo tables first, otherwise
    existing demo tables must be empty. ``_scale_spec`` overrides the scale's sizes (tests).
    """
    spec = _scale_spec or resolve_scale(scale)
    started = time.perf_counter()
    plan = build_plan(seed, spec)
    engine = make_engine(url)
    try:
        created = prepare_tables(engine, replace=replace)
        # The real schema has order_orderdiscount.amount NOT NULL: that bad row cannot exist there.
        allow_null_amount = column_is_nullable(engine, ecommerce.order_discount, "amount")
        sink, codec = open_sink(engine)
        try:
            with _progress(console, spec) as advance:
                builder = Builder(
                    plan,
                    sink,
                    codec,
                    allow_null_amount=allow_null_amount,
                    on_redemptions=lambda n: advance("orders", n),
                )
                builder.write_catalog()
                builder.write_enterprises()
                builder.write_users()
                advance("setup", 1)
                builder.write_orders()
                builder.write_offers()
                builder.write_subscriptions()
                sink.flush()
                sink.create_indexes(created)
                advance("finish", 1)
            sink.finish()
        except BaseException:
            sink.abort()
            raise
        # Issue 14: the ledger era (enterprise-subsidy + enterprise-access) in the same database.
        ledger = demo_ledger.generate(
            engine, engine, seed=seed, scale="S" if _scale_spec else scale, replace=replace
        )
    finally:
        engine.dispose()
    summary = _summarize(
        plan, builder, sink.counts, make_url(url), seconds=time.perf_counter() - started
    )
    return dataclasses.replace(summary, ledger=ledger.describe())


@contextmanager
def _progress(console: Console | None, spec: p.ScaleSpec) -> Iterator[Callable[[str, int], None]]:
    if console is None:
        yield lambda task, n: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        tasks = {
            "setup": progress.add_task("catalog, enterprises, learners", total=1),
            "orders": progress.add_task("orders, refunds, consent", total=spec.redemptions),
            "finish": progress.add_task("offers, coupons, subscriptions, indexes", total=1),
        }
        yield lambda task, n: progress.advance(tasks[task], n)


def _usd(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _facts(offer: p.OfferPlan) -> OfferFacts:
    return OfferFacts(
        offer_id=offer.id,
        kind=offer.kind,
        timing=offer.timing,
        usage_type=offer.benefit,
        discount_value=_usd(offer.value_cents),
        max_discount=None if offer.max_discount_cents is None else _usd(offer.max_discount_cents),
        net_spend=_usd(offer.net_cents),
        total_discount_ecommerce=_usd(offer.total_discount_cents),
        redemptions=offer.redemptions,
    )


def _summarize(
    plan: p.Plan, builder: Builder, counts: Mapping[str, int], url: URL, *, seconds: float
) -> DemoSummary:
    rendered = url.render_as_string(hide_password=True)
    showcases = tuple(
        ShowcaseFacts(
            str(ent.uuid),
            ent.name,
            ent.showcase.demonstrates,
            tuple(_facts(offer) for offer in ent.offers),
        )
        for ent in plan.enterprises
        if ent.showcase is not None
    )
    largest = sorted(plan.enterprises, key=lambda e: (-e.redemptions, e.index))[:4]
    refunds = {f"{status} {kind}": n for (status, kind), n in sorted(builder.refund_counts.items())}
    return DemoSummary(
        url=rendered,
        seed=plan.seed,
        scale=plan.spec.name,
        table_counts=dict(counts),
        enterprises=len(plan.enterprises),
        learner_credit_offers=len(plan.offers),
        redemptions=sum(offer.redemptions for offer in plan.offers),
        refunds=refunds,
        showcases=showcases,
        other_cases=_other_cases(plan),
        bad_rows=tuple(builder.bad_rows),
        largest_enterprises=tuple((str(e.uuid), e.name, e.redemptions) for e in largest),
        seconds=seconds,
    )


def _other_cases(plan: p.Plan) -> dict[str, str]:
    """Where the less prominent cases live (the first ordinary example of each)."""
    cases: dict[str, str] = {}
    ordinary = [ent for ent in plan.enterprises if ent.showcase is None]

    def first_offer(label: str, test: Callable[[p.OfferPlan], bool]) -> None:
        for ent in ordinary:
            for offer in ent.offers:
                if test(offer):
                    cases[label] = f"offer {offer.id} of {ent.name} ({ent.uuid})"
                    return

    def first_enterprise(label: str, test: Callable[[p.EnterprisePlan], bool]) -> None:
        for ent in ordinary:
            if test(ent):
                cases[label] = f"{ent.name} ({ent.uuid})"
                return

    first_offer("Absolute benefit", lambda o: o.kind == p.KIND_ABSOLUTE)
    first_offer(
        "per-user limits",
        lambda o: o.kind == p.KIND_PER_USER and o.redemptions > 0,
    )
    first_offer("Percentage < 100", lambda o: o.kind == p.KIND_PERCENTAGE and o.redemptions > 0)
    first_offer("current offer with no end date", lambda o: o.timing == "current" and not o.end)
    first_offer("current offer not used yet", lambda o: o.timing == p.TIMING_FRESH)
    first_offer("future offer", lambda o: o.timing == p.TIMING_FUTURE)
    first_offer("ended offer", lambda o: o.timing == p.TIMING_ENDED)
    first_enterprise(
        "expired coupon codes only", lambda e: e.coupon is not None and not e.coupon.active
    )
    first_enterprise("expired subscription plan only", lambda e: e.subscriptions == ("expired",))
    first_enterprise("inactive subscription plan only", lambda e: e.subscriptions == ("inactive",))
    first_enterprise("data-sharing consent disabled", lambda e: not e.consent_enabled)
    first_enterprise(
        "manual-enrollment (User) offer, not learner credit",
        lambda e: e.manual_enrollment_offer_id is not None,
    )
    first_enterprise("bad rows host", lambda e: e.hosts_bad_rows)
    cases["non-enterprise noise"] = (
        f"Site offer {plan.noise_offer_id} ({plan.noise_orders} orders) and "
        f"{plan.full_price_orders} full-price orders by B2C users"
    )
    cases["Pending orders"] = "~1 % of each offer's orders (status 'Pending', not spend)"
    cases["refund statuses"] = f"'{COMPLETE}' counts; 'Open' and 'Denied' do not"
    return cases
