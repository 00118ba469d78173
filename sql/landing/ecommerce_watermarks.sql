-- The high-water marks a full ecommerce ingest reached: the maxima of what it landed.
SELECT
    (SELECT max(id) FROM lcm_raw.ecommerce_orderdiscount) AS discount_id,
    (SELECT max(modified) FROM lcm_raw.ecommerce_refund) AS refund_modified,
    (SELECT max(date_updated) FROM lcm_raw.ecommerce_product) AS product_updated,
    (SELECT max(modified) FROM lcm_raw.ecommerce_course) AS course_modified
