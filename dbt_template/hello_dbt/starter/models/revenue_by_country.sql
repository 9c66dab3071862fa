-- STEP 5 - one more layer on top of the customers table.
-- TODO: read customers (with ref) and add up customers, orders and revenue per country.
select 'replace me in step 5' as todo
