-- Active customers as they are now: the open version of each customer, unless that version
-- is the record of their leaving (hard_deletes: new_record marks it with dbt_is_deleted).
select
    customer_id,
    full_name,
    email,
    city,
    loyalty_tier
from {{ ref('customers_snapshot') }}
where
    dbt_valid_to is null
    and dbt_is_deleted = 'False'
