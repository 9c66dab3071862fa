-- One row per tariff and time band, with the price in euros per kWh.
select
    tariff_code as tariff,
    band,
    start_hour,
    end_hour,
    cast(cents_per_kwh / 100 as decimal(10, 4)) as price_per_kwh
from {{ ref('tariffs') }}
