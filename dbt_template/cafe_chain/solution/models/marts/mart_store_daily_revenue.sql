-- Grain: one row per store and day with at least one completed order.
-- Only completed orders are revenue: refunded money went back, voided orders never happened.
{{ config(materialized='table') }}

with completed_orders as (
    select *
    from {{ ref('fct_orders') }}
    where status = 'completed'
)

select
    o.store_id,
    s.store_name,
    o.order_date,
    count(*) as orders,
    sum(o.basket_size) as items_sold,
    sum(o.order_total) as revenue,
    avg(o.basket_size) as avg_basket_size,
    avg(o.order_total) as avg_order_value
from completed_orders as o
inner join {{ ref('stg_stores') }} as s
    on o.store_id = s.store_id
group by o.store_id, s.store_name, o.order_date
