-- Revenue per month, one column per category. Jinja writes the repetitive part: the loop
-- below becomes four sum(case ...) columns when dbt compiles the model.
{% set categories = ['accessories', 'apparel', 'components', 'tools'] %}

select
    cast(date_trunc('month', ordered_at) as date) as order_month,
    {% for category in categories %}
        sum(case when category = '{{ category }}' then amount else 0 end) as {{ category }}_revenue,
    {% endfor %}
    sum(amount) as total_revenue
from {{ ref('fct_orders') }}
group by 1
