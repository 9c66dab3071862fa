-- STEP 5 - one row per store, with its lifetime numbers.
-- TODO: every store from stg_stores (also one without orders) with completed_orders,
--       refunded_orders and revenue from fct_orders. A table.
select 'replace me in step 5' as todo
