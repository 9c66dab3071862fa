-- Staging model: one row per café, with clear column names.
-- source('raw', 'stores') is the raw_stores table declared in _sources.yml.
select
    id as store_id,
    name as store_name,
    city,
    cast(opened_on as date) as opened_on
from {{ source('raw', 'stores') }}
