-- STEP 2 - a staging model for orders.
-- TODO: select from the raw_orders seed (with ref), rename id -> order_id and
--       user_id -> customer_id, lower-case the status and turn amount_cents into dollars.
select 'replace me in step 2' as todo
