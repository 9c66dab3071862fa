-- One row per interval between two consecutive readings of a meter, with the energy used in it.
-- lag() looks one row back within the meter's own readings, ordered by time.
with readings as (
    select
        meter_id,
        lag(reading_at) over by_meter as interval_start,
        reading_at as interval_end,
        lag(register_kwh) over by_meter as previous_kwh,
        register_kwh
    from {{ ref('stg_readings') }}
    window by_meter as (partition by meter_id order by reading_at)
)

select
    meter_id,
    interval_start,
    interval_end,
    datediff('minute', interval_start, interval_end) as interval_minutes,
    -- A register that goes down was reset (a new meter starts at zero): all it shows was used
    -- since the reset.
    case
        when register_kwh < previous_kwh then register_kwh
        else register_kwh - previous_kwh
    end as consumption_kwh,
    register_kwh < previous_kwh as is_reset
from readings
where interval_start is not null  -- a meter's first reading starts no interval
