-- STEP 3 - the customers as they are now.
-- TODO: read customers_snapshot (with ref) and keep each active customer's current version.
select 'replace me in step 3' as todo
