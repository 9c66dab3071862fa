-- STEP 6 - the mart: energy and cost per household per day.
-- TODO: join fct_hourly_consumption, stg_meters and stg_tariffs (all with ref), price every
--       hour by its tariff band, and sum per household and day. Build it as a table.
select 'replace me in step 6' as todo
