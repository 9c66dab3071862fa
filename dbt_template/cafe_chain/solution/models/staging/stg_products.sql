-- Staging model: one row per product on the menu. Prices become euros, exact to the cent.
select
    id as product_id,
    name as product_name,
    lower(category) as category,
    cast(price_cents / 100 as decimal(10, 2)) as price
from {{ source('raw', 'products') }}
