-- lcm.enterprise_eligibility: one row per enterprise known to any source (every enterprise of
-- email_policy: a learner-credit offer or coupon in ecommerce, an LMS customer, a license-manager
-- agreement) with the facts of the LCM page's eligibility rule (ADR 3, lcm_etl/eligibility.py) and its verdict
-- at :now, the publish's data_as_of. The page re-evaluates the verdict at request time from the
-- stored offer dates and windows (lcm_etl.eligibility), so is_eligible and reasons here are "as
-- of data_as_of"; the rule and its reason codes are the same.
--
-- A fact whose source tables were not read is NULL (unknown), and an unknown fact is never a
-- reason. A table counts as read when the last ingest left its marker in lcm_raw.watermark (an
-- ingest that could not read it, e.g. its source is unset, removes the marker).
--   current offer:        start <= :now <= end, a missing bound is open (valid offers only)
--   subscription plan:    is_active, not for_internal_use_only, [start_date, expiration_date]
--   coupon code:          a voucher of an Open enterprise Voucher offer that can still be
--                         redeemed (not a used single-use code), valid over its dates
--                         intersected with the offer's
-- Windows are kept while still open at :now (current or future), inclusive at both ends.
WITH read_source AS (
    SELECT
        EXISTS (
            SELECT 1 FROM lcm_raw.watermark
            WHERE source = 'lms' AND source_table = 'enterprise_enterprisecustomer'
        ) AS lms,
        (
            SELECT count(*) = 2 FROM lcm_raw.watermark
            WHERE source = 'license_manager'
                AND source_table IN ('subscriptions_customeragreement', 'subscriptions_subscriptionplan')
        ) AS license_manager,
        EXISTS (
            SELECT 1 FROM lcm_raw.watermark
            WHERE source = 'ecommerce' AND source_table = 'voucher_voucher_offers'
        ) AS coupons
),

customer AS (
    SELECT
        c.uuid::uuid AS enterprise_customer_uuid,
        c.name,
        CASE WHEN read_source.lms THEN c.enable_portal_learner_credit_management_screen END
            AS lcm_screen_enabled,
        CASE WHEN read_source.lms THEN c.active END AS customer_active
    FROM lcm_raw.lms_enterprisecustomer AS c
    CROSS JOIN read_source
),

offer AS (
    SELECT
        enterprise_customer_uuid,
        count(*) AS offer_count,
        count(*) FILTER (WHERE is_current) AS current_offer_count,
        count(*) FILTER (WHERE is_current AND is_fcfs_org_wide) AS current_fcfs_offer_count,
        min(offer_id) FILTER (WHERE is_current) AS first_current_offer_id,
        (array_agg(enterprise_name ORDER BY start_datetime DESC NULLS LAST, offer_id DESC)
            FILTER (WHERE enterprise_name IS NOT NULL))[1] AS enterprise_name
    FROM (
        SELECT
            s.*,
            (s.start_datetime IS NULL OR s.start_datetime <= CAST(:now AS timestamptz))
            AND (s.end_datetime IS NULL OR CAST(:now AS timestamptz) <= s.end_datetime)
                AS is_current
        FROM lcm.offer_summary AS s
    ) AS summary
    GROUP BY enterprise_customer_uuid
),

agreement AS (
    SELECT
        enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
        max(enterprise_customer_name) AS enterprise_name
    FROM lcm_raw.license_manager_customeragreement
    GROUP BY 1
),

plan AS (
    SELECT
        a.enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
        array_agg(
            tstzrange(p.start_date, p.expiration_date, '[]')
            ORDER BY p.start_date, p.expiration_date, p.uuid
        ) AS windows
    FROM lcm_raw.license_manager_subscriptionplan AS p
    JOIN lcm_raw.license_manager_customeragreement AS a ON a.uuid = p.customer_agreement_id
    WHERE p.is_active
        AND NOT p.for_internal_use_only
        AND p.start_date <= p.expiration_date
        AND p.expiration_date >= CAST(:now AS timestamptz)
    GROUP BY 1
),

coupon_offer AS (
    SELECT
        enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
        max(enterprise_customer_name) AS enterprise_name
    FROM lcm_raw.ecommerce_coupon_offer
    GROUP BY 1
),

code_window AS (
    -- greatest/least skip NULLs: an offer without dates leaves the voucher's window as is.
    SELECT
        o.enterprise_customer_uuid::uuid AS enterprise_customer_uuid,
        greatest(v.start_datetime, o.start_datetime) AS starts,
        least(v.end_datetime, o.end_datetime) AS ends,
        count(*)::integer AS codes
    FROM lcm_raw.ecommerce_coupon_voucher AS v
    JOIN lcm_raw.ecommerce_coupon_offer AS o ON o.id = v.conditionaloffer_id
    WHERE o.status = 'Open' AND NOT (v.usage = 'Single use' AND v.num_orders > 0)
    GROUP BY 1, 2, 3
),

coupon AS (
    SELECT
        enterprise_customer_uuid,
        array_agg(tstzrange(starts, ends, '[]') ORDER BY starts, ends) AS windows,
        array_agg(codes ORDER BY starts, ends) AS counts
    FROM code_window
    WHERE starts <= ends AND ends >= CAST(:now AS timestamptz)
    GROUP BY enterprise_customer_uuid
),

facts AS (
    SELECT
        p.enterprise_customer_uuid,
        coalesce(
            customer.name, offer.enterprise_name, agreement.enterprise_name,
            coupon_offer.enterprise_name
        ) AS enterprise_name,
        customer.lcm_screen_enabled,
        customer.customer_active,
        p.consent_required AS data_sharing_consent_required,
        p.email_visibility,
        coalesce(offer.offer_count, 0)::integer AS offer_count,
        coalesce(offer.current_offer_count, 0)::integer AS current_offer_count,
        coalesce(offer.current_fcfs_offer_count, 0)::integer AS current_fcfs_offer_count,
        CASE WHEN offer.current_offer_count = 1 THEN offer.first_current_offer_id END
            AS lcm_offer_id,
        CASE WHEN read_source.license_manager THEN coalesce(plan.windows, '{}') END
            AS subscription_plan_windows,
        CASE WHEN read_source.coupons THEN coalesce(coupon.windows, '{}') END
            AS coupon_code_windows,
        CASE WHEN read_source.coupons THEN coalesce(coupon.counts, '{}') END
            AS coupon_code_counts
    FROM email_policy AS p
    CROSS JOIN read_source
    LEFT JOIN customer ON customer.enterprise_customer_uuid = p.enterprise_customer_uuid
    LEFT JOIN offer ON offer.enterprise_customer_uuid = p.enterprise_customer_uuid
    LEFT JOIN agreement ON agreement.enterprise_customer_uuid = p.enterprise_customer_uuid
    LEFT JOIN plan ON plan.enterprise_customer_uuid = p.enterprise_customer_uuid
    LEFT JOIN coupon_offer ON coupon_offer.enterprise_customer_uuid = p.enterprise_customer_uuid
    LEFT JOIN coupon ON coupon.enterprise_customer_uuid = p.enterprise_customer_uuid
),

counted AS (
    SELECT
        facts.*,
        (
            SELECT count(*)::integer
            FROM unnest(facts.subscription_plan_windows) AS w (window_range)
            WHERE w.window_range @> CAST(:now AS timestamptz)
        ) AS active_subscription_plan_count,
        (
            SELECT coalesce(sum(c.codes), 0)::integer
            FROM unnest(facts.coupon_code_windows, facts.coupon_code_counts)
                AS c (window_range, codes)
            WHERE c.window_range @> CAST(:now AS timestamptz)
        ) AS active_coupon_code_count
    FROM facts
),

judged AS (
    SELECT
        counted.*,
        -- The codes, in this order, of lcm_etl.eligibility.evaluate; NULL facts give none.
        array_remove(
            ARRAY[
                CASE WHEN lcm_screen_enabled IS FALSE THEN 'lcm_screen_disabled' END,
                CASE WHEN current_offer_count = 0 THEN 'no_current_offer' END,
                CASE WHEN current_offer_count > 1 THEN 'multiple_current_offers' END,
                CASE
                    WHEN current_offer_count = 1 AND current_fcfs_offer_count = 0
                        THEN 'offer_not_fcfs_org_wide'
                END,
                CASE WHEN active_subscription_plan_count > 0 THEN 'has_subscription_plan' END,
                CASE WHEN active_coupon_code_count > 0 THEN 'has_coupon_codes' END
            ]::text[],
            NULL
        ) AS reasons
    FROM counted
)

SELECT
    enterprise_customer_uuid,
    enterprise_name,
    lcm_screen_enabled,
    customer_active,
    data_sharing_consent_required,
    email_visibility,
    offer_count,
    current_offer_count,
    current_fcfs_offer_count,
    lcm_offer_id,
    subscription_plan_windows,
    -- A subquery over NULL windows counts 0; unknown must stay NULL.
    CASE WHEN subscription_plan_windows IS NOT NULL THEN active_subscription_plan_count END
        AS active_subscription_plan_count,
    coupon_code_windows,
    coupon_code_counts,
    CASE WHEN coupon_code_windows IS NOT NULL THEN active_coupon_code_count END
        AS active_coupon_code_count,
    cardinality(reasons) = 0 AS is_eligible,
    reasons,
    CAST(:now AS timestamptz) AS data_as_of
FROM judged
