-- Energy and cost per household per day: every hour is priced by its meter's tariff band.
{{ config(materialized='table') }}

select
    m.household_id,
    cast(h.hour_start as date) as consumption_date,
    sum(h.consumption_kwh) as consumption_kwh,
    round(sum(h.consumption_kwh * t.price_per_kwh), 2) as cost
from {{ ref('fct_hourly_consumption') }} as h
inner join {{ ref('stg_meters') }} as m
    on h.meter_id = m.meter_id
inner join {{ ref('stg_tariffs') }} as t
    on
        m.tariff = t.tariff
        and hour(h.hour_start) >= t.start_hour
        and hour(h.hour_start) < t.end_hour
group by m.household_id, cast(h.hour_start as date)
