-- STEP 5 - an incremental model: energy per meter per hour.
-- TODO: sum int_meter_intervals (with ref) per meter and hour, materialize the model as
--       incremental with a unique_key, and filter to new intervals with is_incremental().
select 'replace me in step 5' as todo
