-- Fact table. Grain: one row per order, every order (also refunded and voided ones).
-- Order lines are summed up to the order first, then joined: joining first would repeat
-- each order once per line. The left join keeps voided orders, which have no lines.
{{ config(materialized='table') }}

with order_totals as (
    select
        order_id,
        sum(quantity) as basket_size,
        sum(line_total) as order_total
    from {{ ref('stg_order_lines') }}
    group by order_id
)

select
    o.order_id,
    o.store_id,
    o.ordered_at,
    cast(o.ordered_at as date) as order_date,
    o.status,
    coalesce(t.basket_size, 0) as basket_size,
    coalesce(t.order_total, 0) as order_total
from {{ ref('stg_orders') }} as o
left join order_totals as t
    on o.order_id = t.order_id
