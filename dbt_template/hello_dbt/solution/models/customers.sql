-- Every customer with their order summary: the table the rest of the company would query.
-- Built as a table (not the default view), so reading it is fast and does not re-run the joins.
{{ config(materialized='table') }}

select
    c.customer_id,
    c.first_name,
    c.last_name,
    c.email,
    c.country,
    c.signup_date,
    o.first_order_date,
    o.most_recent_order_date,
    coalesce(o.number_of_orders, 0) as number_of_orders,
    coalesce(o.lifetime_value, 0) as lifetime_value
from {{ ref('stg_customers') }} as c
left join {{ ref('customer_orders') }} as o
    on c.customer_id = o.customer_id
