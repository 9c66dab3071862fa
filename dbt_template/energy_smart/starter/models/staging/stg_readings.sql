-- STEP 2 - a staging model for the readings, with every register converted to kWh.
-- TODO: read the readings seed (with ref), join stg_meters to get each meter's unit, and call
--       the to_kwh macro. Columns: reading_id, meter_id, reading_at, register_kwh.
select 'replace me in step 2' as todo
