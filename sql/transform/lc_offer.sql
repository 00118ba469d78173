-- lc_offer: one row per landed ecommerce Site offer, typed, with its
-- learner-credit attributes and, when the offer cannot be used, the reason it is rejected.
-- Materialized per publish as the temporary table lc_offer.
SELECT
    o.id::bigint AS offer_id,
    CASE
        WHEN c.enterprise_customer_uuid ~* '^[0-9a-f]{32}$'
            OR c.enterprise_customer_uuid ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            THEN c.enterprise_customer_uuid::uuid
    END AS enterprise_customer_uuid,
    NULLIF(c.enterprise_customer_name, '') AS enterprise_name,
    CASE
        WHEN c.enterprise_customer_catalog_uuid ~* '^[0-9a-f]{32}$'
            OR c.enterprise_customer_catalog_uuid ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            THEN c.enterprise_customer_catalog_uuid::uuid
    END AS enterprise_catalog_uuid,
    -- ecommerce's generate_offer_display_name: "{customer name} - {start as MONYY}", e.g. "Acme - JAN22"
    CASE
        WHEN NULLIF(c.enterprise_customer_name, '') IS NOT NULL AND o.start_datetime IS NOT NULL
            THEN c.enterprise_customer_name || ' - '
                || upper(to_char(o.start_datetime AT TIME ZONE 'UTC', 'MonYY'))
    END AS display_name,
    o.name AS offer_name,
    o.offer_type,
    o.status,
    o.start_datetime,
    o.end_datetime,
    o.date_created,
    CASE b.proxy_class
        WHEN 'ecommerce.enterprise.benefits.EnterprisePercentageDiscountBenefit' THEN 'Percentage'
        WHEN 'ecommerce.enterprise.benefits.EnterpriseAbsoluteDiscountBenefit' THEN 'Absolute'
        ELSE NULLIF(b.type, '')
    END AS usage_type,
    b.value AS discount_value,
    o.max_discount,
    o.max_user_discount,
    o.max_user_applications,
    o.max_global_applications,
    NULLIF(o.emails_for_usage_alert, '') AS emails_for_usage_alert,
    o.total_discount AS total_discount_ecommerce,
    o.num_applications AS num_applications_ecommerce,
    o.num_orders AS num_orders_ecommerce,
    greatest(o.landed_run_id, c.landed_run_id, b.landed_run_id) AS landed_run_id,
    CASE
        WHEN c.id IS NULL THEN 'offer_missing_condition'
        WHEN NULLIF(c.enterprise_customer_uuid, '') IS NULL THEN 'offer_missing_enterprise_uuid'
        WHEN NOT (
            c.enterprise_customer_uuid ~* '^[0-9a-f]{32}$'
            OR c.enterprise_customer_uuid ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        ) THEN 'offer_invalid_enterprise_uuid'
        WHEN b.id IS NULL THEN 'offer_missing_benefit'
        WHEN o.end_datetime < o.start_datetime THEN 'offer_end_before_start'
    END AS reject_reason
FROM lcm_raw.ecommerce_conditionaloffer AS o
LEFT JOIN lcm_raw.ecommerce_condition AS c ON c.id = o.condition_id
LEFT JOIN lcm_raw.ecommerce_benefit AS b ON b.id = o.benefit_id
WHERE o.offer_type = 'Site'
