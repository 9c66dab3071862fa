-- Staging model: one row per order. The till writes times as day-first text and statuses in
-- any case: both are fixed here, once, so no model downstream has to care.
select
    id as order_id,
    store_id,
    strptime(ordered_at, '%d/%m/%Y %H:%M') as ordered_at,
    lower(status) as status
from {{ source('raw', 'orders') }}
