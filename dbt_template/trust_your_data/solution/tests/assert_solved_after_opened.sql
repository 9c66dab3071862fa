-- A ticket cannot be solved before it was opened.
-- A singular test returns the rows that break the rule: no rows means the test passes.
-- store_failures keeps the failing rows in a table (main_dbt_test__audit) to investigate.
{{ config(store_failures=true) }}

select
    ticket_id,
    opened_at,
    solved_at
from {{ ref('stg_tickets') }}
where solved_at < opened_at
