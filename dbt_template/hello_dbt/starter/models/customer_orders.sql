-- STEP 3 - a model built on another model.
-- TODO: read stg_orders (with ref) and summarise it: one row per customer with
--       number_of_orders, first_order_date, most_recent_order_date and lifetime_value.
select 'replace me in step 3' as todo
