-- One row per customer who bought something: how often, when, and for how much.
-- Returned orders are not sales, so they are left out.
select
    customer_id,
    count(*) as number_of_orders,
    min(order_date) as first_order_date,
    max(order_date) as most_recent_order_date,
    sum(amount) as lifetime_value
from {{ ref('stg_orders') }}
where status <> 'returned'
group by customer_id
