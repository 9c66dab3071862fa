-- Revenue per country, built on top of the customers table.
select
    country,
    count(*) as number_of_customers,
    sum(number_of_orders) as number_of_orders,
    sum(lifetime_value) as revenue
from {{ ref('customers') }}
group by country
