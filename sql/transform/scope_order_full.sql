-- Every landed order, and every order a landed discount points at (even when the order itself
-- was never landed: that discount is rejected as discount_order_missing, not ignored).
SELECT id AS order_id FROM lcm_raw.ecommerce_order
UNION
SELECT order_id FROM lcm_raw.ecommerce_orderdiscount
