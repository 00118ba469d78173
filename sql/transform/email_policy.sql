-- email_policy: one row per enterprise known to any landed source (a learner-credit offer,
-- an LMS customer, a license-manager agreement, an enterprise coupon), with whether its learners'
-- emails may be shown. Materialized per publish as the temporary table email_policy.
--
-- The LMS decides (edx-enterprise EnterpriseCustomer.requests_data_sharing_consent): a customer
-- with enable_data_sharing_consent AND enforce_data_sharing_consent <> 'externally_managed'
-- requests consent, and a learner's email is then shown only with a granted consent record for
-- the course (offer_redemption.sql). The landed LMS row counts even after the LMS source is unset,
-- so a configuration slip never reveals emails that were hidden. An enterprise the LMS never
-- described has unknown consent: its emails are shown as ecommerce has them, unless
-- :hide_unknown (LCM_HIDE_EMAILS_WHEN_CONSENT_UNKNOWN).
--
-- email_visibility: 'consent_required' | 'shown' | 'shown_consent_unknown' | 'hidden_consent_unknown'
WITH customer AS (
    SELECT
        uuid::uuid AS enterprise_customer_uuid,
        enable_data_sharing_consent
            AND enforce_data_sharing_consent <> 'externally_managed' AS consent_required
    FROM lcm_raw.lms_enterprisecustomer
),

enterprise AS (
    SELECT enterprise_customer_uuid FROM lc_offer WHERE enterprise_customer_uuid IS NOT NULL
    UNION
    SELECT enterprise_customer_uuid FROM customer
    UNION
    SELECT enterprise_customer_uuid::uuid FROM lcm_raw.license_manager_customeragreement
    UNION
    SELECT enterprise_customer_uuid::uuid FROM lcm_raw.ecommerce_coupon_offer
)

SELECT
    enterprise.enterprise_customer_uuid,
    customer.consent_required,
    CASE
        WHEN customer.consent_required THEN 'consent_required'
        WHEN NOT customer.consent_required THEN 'shown'
        WHEN CAST(:hide_unknown AS boolean) THEN 'hidden_consent_unknown'
        ELSE 'shown_consent_unknown'
    END AS email_visibility
FROM enterprise
LEFT JOIN customer ON customer.enterprise_customer_uuid = enterprise.enterprise_customer_uuid
