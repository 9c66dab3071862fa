-- Staging model: one row per order, with clear names, clean statuses and amounts in dollars.
select
    id as order_id,
    user_id as customer_id,
    order_date,
    lower(status) as status,
    cast(amount_cents / 100 as decimal(10, 2)) as amount
from {{ ref('raw_orders') }}
