-- STEP 3 - window functions: from cumulative readings to the energy used per interval.
-- TODO: for each reading, look one reading back for the same meter (lag over the meter's
--       readings ordered by time) and compute interval_start, interval_end, interval_minutes,
--       consumption_kwh and is_reset.
select 'replace me in step 3' as todo
