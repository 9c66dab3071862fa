-- STEP 5 - one row per product on the menu, with its sales.
-- TODO: every product from stg_products (also one that never sold) with units_sold, orders
--       and revenue from completed orders only. A table.
select 'replace me in step 5' as todo
