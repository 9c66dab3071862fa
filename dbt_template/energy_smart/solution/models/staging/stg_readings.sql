-- One row per meter reading, with the register in kWh whatever unit the meter counts in.
-- A left join, so that a reading for an unknown (or missing) meter is kept, not silently dropped:
-- the data tests of step 7 must be able to see it.
select
    r.meter_id || '@' || strftime(r.reading_at, '%Y-%m-%d %H:%M') as reading_id,
    r.meter_id,
    r.reading_at,
    {{ to_kwh('r.register_value', 'm.unit') }} as register_kwh
from {{ ref('readings') }} as r
left join {{ ref('stg_meters') }} as m
    on r.meter_id = m.meter_id
