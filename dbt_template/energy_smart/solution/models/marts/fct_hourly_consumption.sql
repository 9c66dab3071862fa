-- Energy per meter per hour, built incrementally: each run only processes new intervals.
{{ config(materialized='incremental', unique_key=['meter_id', 'hour_start']) }}

select
    meter_id,
    date_trunc('hour', interval_start) as hour_start,
    sum(consumption_kwh) as consumption_kwh,
    count(*) as intervals
from {{ ref('int_meter_intervals') }}

{% if is_incremental() %}
    -- Only intervals from the latest hour already in this table onwards. `>=` and not `>`: that
    -- hour may have been incomplete last time, so it is recomputed and, thanks to unique_key,
    -- replaced instead of duplicated.
    where interval_start >= (select max(built.hour_start) from {{ this }} as built)
{% endif %}

group by meter_id, date_trunc('hour', interval_start)
