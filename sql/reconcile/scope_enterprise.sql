-- Every enterprise a full publish reconciles: those of the valid offers and of the summaries.
SELECT enterprise_customer_uuid
FROM lc_offer
WHERE enterprise_customer_uuid IS NOT NULL
UNION
SELECT enterprise_customer_uuid
FROM lcm.offer_summary
