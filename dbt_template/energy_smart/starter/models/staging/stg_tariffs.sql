-- STEP 1 - a staging model for the tariffs.
-- TODO: select the tariffs seed (with ref): tariff_code renamed to tariff, band, start_hour,
--       end_hour, and the price in euros per kWh as price_per_kwh.
select 'replace me in step 1' as todo
