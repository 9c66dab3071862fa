-- Staging: one row per support agent, from the HR tool's export.
-- This model is finished: in this lesson you test it, you do not need to change it.
select
    agent_id,
    agent_name,
    lower(team) as team,
    hired_on
from {{ ref('raw_agents') }}
