-- Staging: one row per support ticket, cleaned from the help desk's export.
-- The export re-sends a ticket when it changes, so a ticket_id can appear more than once:
-- keep only the newest copy, the one with the latest updated_at.
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
qualify row_number() over (partition by ticket_id order by updated_at desc) = 1
