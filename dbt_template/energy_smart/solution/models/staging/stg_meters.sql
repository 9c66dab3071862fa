-- One row per meter. Tariff codes arrive in mixed case: clean them once, here.
select
    meter_id,
    household_id,
    meter_type,
    lower(trim(tariff)) as tariff,
    unit
from {{ ref('meters') }}
