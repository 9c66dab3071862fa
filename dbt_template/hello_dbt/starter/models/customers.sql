-- STEP 4 - join two models, and build the result as a table.
-- TODO: join stg_customers to customer_orders (both with ref) so that every customer
--       appears once, and materialize this model as a table.
select 'replace me in step 4' as todo
