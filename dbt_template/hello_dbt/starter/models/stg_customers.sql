-- STEP 1 - your first model.
-- A model is a single SELECT statement saved in a .sql file under models/.
-- dbt builds it into the warehouse under the file's name: this file becomes "stg_customers".
--
-- TODO: replace the placeholder below with a SELECT that reads every row of the
--       raw_customers seed. Use ref() instead of typing the table name (see the instructions).
select 'replace me in step 1' as todo
