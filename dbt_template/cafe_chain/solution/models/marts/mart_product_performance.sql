-- Grain: one row per product on the menu, also products that never sold.
-- The filter on completed orders sits inside the CTE, before the left join: in a WHERE after
-- the join it would throw away the products without sales again.
{{ config(materialized='table') }}

with completed_lines as (
    select
        l.product_id,
        l.order_id,
        l.quantity,
        l.line_total
    from {{ ref('stg_order_lines') }} as l
    inner join {{ ref('stg_orders') }} as o
        on l.order_id = o.order_id
    where o.status = 'completed'
),

product_sales as (
    select
        product_id,
        sum(quantity) as units_sold,
        count(distinct order_id) as orders,
        sum(line_total) as revenue
    from completed_lines
    group by product_id
)

select
    p.product_id,
    p.product_name,
    p.category,
    coalesce(s.units_sold, 0) as units_sold,
    coalesce(s.orders, 0) as orders,
    coalesce(s.revenue, 0) as revenue
from {{ ref('stg_products') }} as p
left join product_sales as s
    on p.product_id = s.product_id
