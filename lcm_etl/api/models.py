"""Response shapes, for the OpenAPI document (/docs) and schema checks.

The handlers build their JSON with :mod:`lcm_etl.queries` and return it as is, so key order and
number rendering stay exactly those of the contracts; these models describe that JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(_Shape):
    detail: str


class PageAlert(_Shape):
    kind: Literal["low_balance", "no_balance"]
    dismissible: bool


class PageOfferSummary(_Shape):
    total_funds: float | None
    redeemed_funds: float
    remaining_funds: float | None
    percent_utilized: float | None
    balance_state: Literal["ok", "low", "depleted", "uncapped"]
    enrollment_count: int
    learner_count: int
    amount_refunded: float


class PageForecast(_Shape):
    """When what remains runs out at the trailing 30-day net spend rate (docs/forecast.md)."""

    method: Literal["trailing_30_day_net_spend"]
    window_days: int
    status: Literal[
        "projected", "after_expiry", "depleted", "no_recent_spend", "uncapped", "unknown"
    ]
    daily_net_spend: float | None
    projected_depletion_date: str | None


class PageOffer(_Shape):
    offer_id: str
    display_name: str | None
    status: str
    start_datetime: str | None
    end_datetime: str | None
    is_current: bool
    usage_type: str | None
    discount_value: float | None
    is_fcfs_org_wide: bool
    summary: PageOfferSummary
    alerts: list[PageAlert]
    forecast: PageForecast | None


class PageBudgetCents(_Shape):
    spend_limit: int | None
    spent: int | None
    allocated: int
    available: int | None


class PageBudget(_Shape):
    """A ledger-era budget as the portal's budget list shows it (dollars as the services render
    them; null amounts when the budget's subsidy is unknown or soft-deleted)."""

    budget_id: str
    name: str
    policy_type: str
    status: Literal["Retired", "Scheduled", "Expiring", "Active", "Expired"]
    start: str | None
    end: str | None
    retired: bool
    retired_at: str | None
    is_assignable: bool
    bnr_enabled: bool
    subsidy_uuid: str
    assignment_configuration_uuid: str | None
    limit: float
    spent: float | None
    pending: float
    available: float | None
    utilized: float | None
    amounts_cents: PageBudgetCents
    forecast: PageForecast


class LearnerCreditPage(_Shape):
    enterprise_customer_uuid: str
    enterprise_name: str | None
    eligible: bool
    reasons: list[
        Literal[
            "lcm_screen_disabled",
            "no_current_offer",
            "multiple_current_offers",
            "offer_not_fcfs_org_wide",
            "has_subscription_plan",
            "has_coupon_codes",
        ]
    ]
    lcm_offer_id: str | None
    offers: list[PageOffer]
    data_as_of: str | None
    budgets: list[PageBudget]


class AnalyticsOffer(_Shape):
    offer_id: str
    budgets: list[Any]
    enterprise_customer_uuid: str
    enterprise_name: str | None
    sum_amount_learner_paid: float | None
    sum_course_price: float | None
    status: str | None
    offer_type: str | None
    date_created: str | None
    emails_for_usage_alert: str | None
    discount_type: str | None
    discount_value: float | None
    max_discount: float | None
    total_discount_ecommerce: float | None
    amount_of_offer_spent: float | None
    percent_of_offer_spent: float | None
    remaining_balance: float | None
    amount_offer_spent_ocm: float | None
    amount_offer_spent_exec_ed: float | None
    export_timestamp: str | None


class AnalyticsEnrollment(_Shape):
    enrollment_id: int | None
    enterprise_enrollment_id: int | None
    is_consent_granted: bool | None
    paid_by: str | None
    user_current_enrollment_mode: str | None
    enrollment_date: str
    unenrollment_date: str | None
    unenrollment_end_within_date: str | None
    is_refunded: bool
    seat_delivery_method: str | None
    offer_id: str
    offer_name: str | None
    offer_type: str | None
    coupon_code: str | None
    coupon_name: str | None
    contract_id: str | None
    course_list_price: float | None
    amount_learner_paid: float | None
    course_key: str | None
    courserun_key: str | None
    course_title: str | None
    course_pacing_type: str | None
    course_start_date: str | None
    course_end_date: str | None
    course_duration_weeks: int | None
    course_max_effort: int | None
    course_min_effort: int | None
    course_primary_program: str | None
    primary_program_type: str | None
    course_primary_subject: str | None
    has_passed: bool | None
    last_activity_date: str | None
    progress_status: str | None
    passed_date: str | None
    current_grade: float | None
    letter_grade: str | None
    enterprise_user_id: int | None
    user_email: str | None
    user_account_creation_date: str | None
    user_country_code: str | None
    user_username: str | None
    user_first_name: str | None
    user_last_name: str | None
    enterprise_name: str | None
    enterprise_customer_uuid: str
    enterprise_sso_uid: str | None
    created: str | None
    course_api_url: str | None
    total_learning_time_hours: float | None
    is_subsidy: bool
    course_product_line: str | None
    budget_id: str | None
    enterprise_flex_group_name: str | None
    enterprise_flex_group_uuid: str | None
    course_progress: Any
    course_passing_grade: Any
    amount: float
    """lcm-etl's addition: the amount charged to the offer for this enrollment."""


class AnalyticsPage(_Shape):
    next: str | None
    previous: str | None
    count: int
    num_pages: int
    current_page: int
    start: int


class AnalyticsOfferPage(AnalyticsPage):
    results: list[AnalyticsOffer]


class AnalyticsEnrollmentPage(AnalyticsPage):
    results: list[AnalyticsEnrollment]


class AdminOffer(_Shape):
    id: int
    name: str
    slug: str | None
    description: str
    offer_type: str
    exclusive: bool
    status: str
    priority: int | None
    start_datetime: str | None
    end_datetime: str | None
    max_global_applications: int | None
    max_user_applications: int | None
    max_basket_applications: int | None
    max_discount: str | None
    total_discount: str
    num_applications: int
    num_orders: int
    redirect_url: str
    date_created: str | None
    email_domains: str | None
    sales_force_id: str | None
    salesforce_opportunity_line_item: str | None
    max_user_discount: str | None
    emails_for_usage_alert: str
    usage_email_frequency: str | None
    condition: int | None
    benefit: int | None
    site: int | None
    partner: int | None
    enterprise_contract_metadata: int | None
    combinations: list[int]
    usage_type: str | None
    discount_value: float | None
    enterprise_customer_uuid: str
    enterprise_catalog_uuid: str | None
    display_name: str | None
    remaining_balance: str | None
    remaining_applications: int | None
    is_current: bool


class AdminOfferPage(_Shape):
    count: int
    next: str | None
    previous: str | None
    results: list[AdminOffer]


class Replication(_Shape):
    role: Literal["primary", "replica"]
    lag_seconds: float | None
    """Seconds the replica is behind its primary (0 when it has replayed all it received)."""
    last_replay_at: str | None


class Health(_Shape):
    status: Literal["ok", "unavailable"]
    detail: str | None = None
    last_publish_run_id: int | None = None
    last_publish_finished_at: str | None = None
    age_seconds: float | None = None
    data_as_of: str | None = None
    replication: Replication | None = None
