-- STEP 1 - your first staging model, read from a source.
-- TODO: select from the raw stores table through source() (declare it in _sources.yml first),
--       renaming id -> store_id and name -> store_name, and keeping city and opened_on.
select 'replace me in step 1' as todo
