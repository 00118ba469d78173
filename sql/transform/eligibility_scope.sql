-- eligibility_scope: the enterprises whose lcm.enterprise_eligibility row a targeted publish
-- recomputes (every other one's facts did not change: a targeted ingest read only the named
-- enterprises' sources, and data_as_of does not move): the enterprises named (:targets), those of
-- the offers in scope after and before this publish (an offer's summary moved, or its enterprise
-- changed), and those whose email visibility changed (e.g. LCM_HIDE_EMAILS_WHEN_CONSENT_UNKNOWN).
-- Materialized per publish as the temporary table eligibility_scope.
SELECT unnest(CAST(:targets AS uuid[])) AS enterprise_customer_uuid
UNION
SELECT o.enterprise_customer_uuid
FROM scope_offer AS s
JOIN lc_offer AS o ON o.offer_id = s.offer_id
WHERE o.enterprise_customer_uuid IS NOT NULL
UNION
SELECT b.enterprise_customer_uuid FROM summary_before AS b
UNION
SELECT p.enterprise_customer_uuid
FROM email_policy AS p
LEFT JOIN lcm.enterprise_eligibility AS e ON e.enterprise_customer_uuid = p.enterprise_customer_uuid
WHERE e.email_visibility IS DISTINCT FROM p.email_visibility
