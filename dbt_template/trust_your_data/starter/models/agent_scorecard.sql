-- One row per agent: how many tickets they have, how fast they answer, how happy customers are.
-- Finished already; it is only as right as the models it reads, which is why you test those.
{{ config(materialized='table') }}

select
    a.agent_id,
    a.agent_name,
    a.team,
    count(t.ticket_id) as tickets_assigned,
    count(case when t.status in ('solved', 'closed') then 1 end) as tickets_solved,
    round(avg(t.first_response_minutes), 1) as avg_first_response_minutes,
    round(avg(t.csat_score), 2) as avg_csat_score
from {{ ref('stg_agents') }} as a
left join {{ ref('stg_tickets') }} as t
    on t.agent_id = a.agent_id
group by a.agent_id, a.agent_name, a.team
