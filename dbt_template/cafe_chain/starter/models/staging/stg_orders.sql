-- STEP 2 - staging: clean the orders.
-- TODO: read the orders source; rename id, parse the ordered_at text into a timestamp and
--       lower-case the status.
select 'replace me in step 2' as todo
