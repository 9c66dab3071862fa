-- Every order with the product's price at the time of the order: the snapshot version that
-- was valid then, i.e. it started before the order and had not ended yet.
-- Orders placed before the oldest version the snapshot knows find no version: their price is
-- unknown (NULL), and a left join keeps the order anyway.
select
    o.order_id,
    o.customer_id,
    o.product_id,
    o.ordered_at,
    o.quantity,
    p.category,
    cast(p.price_cents / 100 as decimal(10, 2)) as unit_price,
    o.quantity * cast(p.price_cents / 100 as decimal(10, 2)) as amount
from {{ ref('raw_orders') }} as o
left join {{ ref('products_snapshot') }} as p
    on
        o.product_id = p.product_id
        and o.ordered_at >= p.dbt_valid_from
        and (o.ordered_at < p.dbt_valid_to or p.dbt_valid_to is null)
