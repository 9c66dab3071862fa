-- STEP 3 - the catalog as it is now.
-- TODO: read products_snapshot (with ref) and keep only the current version of each product.
select 'replace me in step 3' as todo
