-- Dimension table. Grain: one row per store, every store, also one without any orders yet.
-- Orders are summed up per store first, then left-joined, so no store goes missing.
{{ config(materialized='table') }}

with store_orders as (
    select
        store_id,
        count(*) filter (where status = 'completed') as completed_orders,
        count(*) filter (where status = 'refunded') as refunded_orders,
        sum(order_total) filter (where status = 'completed') as revenue
    from {{ ref('fct_orders') }}
    group by store_id
)

select
    s.store_id,
    s.store_name,
    s.city,
    s.opened_on,
    coalesce(o.completed_orders, 0) as completed_orders,
    coalesce(o.refunded_orders, 0) as refunded_orders,
    coalesce(o.revenue, 0) as revenue
from {{ ref('stg_stores') }} as s
left join store_orders as o
    on s.store_id = o.store_id
