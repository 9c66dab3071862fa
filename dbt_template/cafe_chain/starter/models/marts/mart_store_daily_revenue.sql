-- STEP 4 - revenue per store and day.
-- TODO: from fct_orders (completed orders only) and stg_stores, one row per store and day
--       with orders, items_sold, revenue, avg_basket_size and avg_order_value. A table.
select 'replace me in step 4' as todo
