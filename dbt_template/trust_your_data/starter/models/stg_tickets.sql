-- Staging: one row per support ticket, cleaned from the help desk's export.
-- A colleague wrote this model and nobody tested it yet. In step 2 a test of yours finds
-- a real problem here, and you fix it.
select
    ticket_id,
    agent_id,
    requester_email,
    lower(channel) as channel,
    lower(priority) as priority,
    lower(status) as status,
    opened_at,
    first_response_at,
    solved_at,
    date_diff('minute', opened_at, first_response_at) as first_response_minutes,
    csat_score,
    updated_at
from {{ ref('raw_tickets') }}
