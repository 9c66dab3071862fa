-- STEP 1 - a staging model for the meters.
-- TODO: select meter_id, household_id, meter_type, the tariff in clean lower case, and unit
--       from the meters seed (with ref).
select 'replace me in step 1' as todo
