-- STEP 4 - every order with the price that was valid when it was placed.
-- TODO: join raw_orders to products_snapshot (both with ref) on the product and on the
--       version's validity window.
select 'replace me in step 4' as todo
