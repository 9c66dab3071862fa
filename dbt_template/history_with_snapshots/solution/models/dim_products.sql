-- The catalog as it is now: of all the versions in the snapshot, the one still open
-- (dbt_valid_to is empty) is the current one.
select
    product_id,
    product_name,
    category,
    cast(price_cents / 100 as decimal(10, 2)) as price,
    dbt_valid_from as price_valid_from
from {{ ref('products_snapshot') }}
where dbt_valid_to is null
