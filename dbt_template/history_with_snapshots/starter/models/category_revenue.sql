-- STEP 5 - let a Jinja loop write the columns.
-- TODO: one row per month of fct_orders, one revenue column per category.
select 'replace me in step 5' as todo
