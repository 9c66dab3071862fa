-- Staging model: one row per product on an order, with its price and line total in euros.
select
    id as order_line_id,
    order_id,
    product_id,
    qty as quantity,
    cast(unit_price_cents / 100 as decimal(10, 2)) as unit_price,
    cast(qty * unit_price_cents / 100 as decimal(10, 2)) as line_total
from {{ source('raw', 'order_lines') }}
