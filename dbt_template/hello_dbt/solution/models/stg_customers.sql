-- Staging model: one row per customer, renamed and cleaned, straight from the raw seed.
-- ref('raw_customers') tells dbt "this model reads the raw_customers seed":
-- dbt fills in the real table name and builds things in the right order.
select
    id as customer_id,
    first_name,
    last_name,
    lower(email) as email,
    country,
    signup_date
from {{ ref('raw_customers') }}
