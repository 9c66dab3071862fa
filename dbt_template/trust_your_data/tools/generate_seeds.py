"""Regenerate the trust_your_data seed CSVs: a small, deterministic customer-support desk.

Run from the repository root:  python dbt_template/trust_your_data/tools/generate_seeds.py
With no options it writes every seed set of the lesson, byte-for-byte the same on every run
(fixed random seeds, fixed dates):

    seeds/                the learner's data (and grading)
    seeds_variant/        the same files and columns with other values: other random draws, other
                          ticket and agent ids (grading: no hard-coded answers)
    seeds_bad_<step>/     seeds/ plus the bad rows of ONE step: rows that only the test that step
                          adds catches, and no test of an earlier step. One shared bad set would let
                          a later step's "your tests catch bad rows" check pass on an earlier step's
                          test before the learner wrote the new one.

`--rng-seed N --out DIR` writes one good set elsewhere. It lives in tools/, outside seeds/,
starter/ and solution/, because learner workspaces accept no .py files and never copy tools/.

What is in the data, on purpose:
- raw_tickets comes from a help-desk integration that re-sends a ticket when it changes: a few
  ticket_ids appear twice, an older copy (open or pending) and the newest one (solved or
  closed). The learner's `unique` test finds them and staging keeps the copy with the latest
  updated_at. In seeds_variant two solved tickets were also reopened for another agent: their
  newest copy is open, so "keep the solved copy" or "one copy per ticket and agent" fails there.
- statuses, channels and priorities arrive in mixed case; staging lower-cases them.
- open tickets may be unassigned (agent_id empty: `relationships` ignores NULLs) or unanswered
  (first_response_at empty); only solved and closed tickets have solved_at.
- the newest agent has no tickets yet, so the scorecard shows 0 for them.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
RNG_SEED = 20240715
VARIANT_RNG_SEED = 8
N_TICKETS = 64
N_RESENT = 6  # tickets whose older copy is also in the export
N_REOPENED = 2  # seeds_variant only: solved tickets reopened for another agent (newest copy open)
FIRST_TICKET_ID = 1001
VARIANT_FIRST_TICKET_ID = 5001  # the variant differs in every value a learner could type in
FIRST_AGENT_ID = 1
VARIANT_FIRST_AGENT_ID = 21
START = datetime(2024, 5, 6, 8, 0)

AGENTS = [  # agent_name, team as typed in the HR tool, hired_on
    ("Priya Raman", "Billing", "2021-03-01"),
    ("Tomás Ortega", "technical", "2020-09-14"),
    ("Mei Chen", "Technical", "2022-01-10"),
    ("Jonas Berg", "ACCOUNTS", "2019-06-03"),
    ("Amara Okafor", "billing", "2023-02-20"),
    ("Lucas Moreau", "Technical", "2022-08-01"),
    ("Sofia Rossi", "Accounts", "2021-11-15"),
    ("Noah Fischer", "technical", "2024-06-24"),  # the newest agent: no tickets yet
]
ACTIVE_AGENTS = list(range(len(AGENTS) - 1))  # indexes into AGENTS: the newest has no tickets
STATUSES = ["solved"] * 10 + ["closed"] * 4 + ["pending"] * 3 + ["open"] * 3
CHANNELS = ["email"] * 5 + ["chat"] * 4 + ["phone"] * 2
PRIORITIES = ["low"] * 3 + ["normal"] * 6 + ["high"] * 3 + ["urgent"]
CUSTOMERS = ["ana", "ben", "carla", "dev", "emma", "farid", "gita", "hugo", "ines", "jack",
             "kofi", "lena", "marco", "nina", "omar", "paula", "quinn", "rosa", "sam", "tara"]
COLUMNS = ["ticket_id", "agent_id", "requester_email", "channel", "priority", "status",
           "opened_at", "first_response_at", "solved_at", "csat_score", "updated_at"]


def _messy_case(rng: random.Random, text: str) -> str:
    """Return text as an integration sends it: lower, Title or UPPER case."""
    return rng.choice([text, text, text.title(), text.upper()])


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def agents(first_id: int = FIRST_AGENT_ID) -> list[dict]:
    return [{"agent_id": i, "agent_name": name, "team": team, "hired_on": hired}
            for i, (name, team, hired) in enumerate(AGENTS, start=first_id)]


def _ticket(rng: random.Random, ticket_id: int, opened: datetime, first_agent: int) -> dict:
    """One ticket in its newest state, as plain Python values (datetimes, ints or None)."""
    status = rng.choice(STATUSES)
    unassigned = status == "open" and rng.random() < 0.5
    answered = status != "open" or rng.random() < 0.5
    first_response = opened + timedelta(minutes=rng.randint(2, 480)) if answered else None
    solved = None
    csat = None
    if status in ("solved", "closed"):
        solved = first_response + timedelta(minutes=rng.randint(10, 2880))
        if rng.random() < 0.65:
            csat = rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5])
    return {
        "ticket_id": ticket_id,
        "agent_id": None if unassigned else first_agent + rng.choice(ACTIVE_AGENTS),
        "requester_email": f"{rng.choice(CUSTOMERS)}@example.com",
        "channel": rng.choice(CHANNELS),
        "priority": rng.choice(PRIORITIES),
        "status": status,
        "opened_at": opened,
        "first_response_at": first_response,
        "solved_at": solved,
        "csat_score": csat,
        "updated_at": solved or first_response or opened,
    }


def tickets(rng: random.Random, first_ticket: int = FIRST_TICKET_ID,
            first_agent: int = FIRST_AGENT_ID, reopened: int = 0) -> list[dict]:
    """Every ticket's newest copy, plus an older copy of a few solved ones: taken while the
    ticket was still open (not answered yet) or pending (answered). With `reopened`, that many
    solved tickets were reopened and handed to another agent: the newest copy is open again,
    the older one solved, so only "the latest updated_at" picks the right copy (not "the solved
    one", and not one copy per ticket and agent)."""
    newest = []
    opened = START
    for i in range(N_TICKETS):
        opened += timedelta(minutes=rng.randint(20, 400))
        newest.append(_ticket(rng, first_ticket + i, opened, first_agent))
    solved_ids = [t["ticket_id"] for t in newest if t["status"] in ("solved", "closed")]
    resent = set(rng.sample(solved_ids, N_RESENT))
    # the older copies differ in status too: two of every three were taken while still open
    still_open = {tid for i, tid in enumerate(sorted(resent)) if i % 3 != 2}
    reopen = set(rng.sample(sorted(set(solved_ids) - resent), reopened)) if reopened else set()
    rows = []
    for ticket in newest:
        if ticket["ticket_id"] in reopen:
            others = [first_agent + a for a in ACTIVE_AGENTS if first_agent + a != ticket["agent_id"]]
            rows.append(dict(ticket, status="open", agent_id=rng.choice(others), solved_at=None, csat_score=None,
                             updated_at=ticket["solved_at"] + timedelta(hours=2)))  # the newest copy first
        elif ticket["ticket_id"] in still_open:
            rows.append(dict(ticket, status="open", first_response_at=None, solved_at=None,
                             csat_score=None, updated_at=ticket["opened_at"]))
        elif ticket["ticket_id"] in resent:
            rows.append(dict(ticket, status="pending", solved_at=None, csat_score=None,
                             updated_at=ticket["first_response_at"]))
        rows.append(ticket)
    return [_raw(rng, row) for row in rows]


def _raw(rng: random.Random, row: dict) -> dict:
    """A ticket as the export writes it: text in mixed case, empty cells for NULL."""
    out = {}
    for column in COLUMNS:
        value = row[column]
        if column in ("channel", "priority", "status"):
            value = _messy_case(rng, value)
        elif isinstance(value, datetime) or (value is None and column.endswith("_at")):
            value = _ts(value)
        elif value is None:
            value = ""
        out[column] = value
    return out


def _bad_ticket(ticket_id, **changes) -> dict:
    """A correct, solved ticket of seeds/ (agent 2), with the changes that make it bad."""
    base = {"ticket_id": ticket_id, "agent_id": 2, "requester_email": "zoe@example.com",
            "channel": "email", "priority": "normal", "status": "solved",
            "opened_at": "2024-06-20 09:00:00", "first_response_at": "2024-06-20 09:30:00",
            "solved_at": "2024-06-20 15:00:00", "csat_score": 4,
            "updated_at": "2024-06-20 15:00:00"}
    return {**base, **changes}


# Each step's bad rows: (extra raw_agents rows, extra raw_tickets rows). Every row breaks a rule
# that only the tests of that step enforce (the tests of earlier steps pass on it), so a step's
# checks on its set see the learner's NEW tests at work. A step has more than one set when one
# row would hide another: `tests_catch` passes when any test fails, so a test that can never
# fail (relationships to the wrong model, a `where` that filters everything, a severity of
# warn) only shows on a set where nothing else fails.
BAD_SETS = {
    # step 1, builtin_tests: unique and not_null on stg_agents.agent_id; accepted_values on
    # status and priority.
    "seeds_bad_builtin": (
        [{"agent_id": 3, "agent_name": "Mei Chen (imported twice)", "team": "Technical",
          "hired_on": "2022-01-10"},  # unique
         {"agent_id": "", "agent_name": "Temp Account", "team": "billing",
          "hired_on": "2024-06-01"}],  # not_null
        [_bad_ticket(9101, status="Escalated"),  # accepted_values on status
         _bad_ticket(9102, priority="Critical")],  # accepted_values on priority
    ),
    # step 1: relationships from stg_tickets.agent_id to stg_agents, alone.
    "seeds_bad_relationships": ([], [_bad_ticket(9103, agent_id=99)]),
    # step 2, a_real_bug: not_null on stg_tickets.ticket_id (unique guards the fix: after it,
    # staging has one row per ticket_id, so no data makes it fail).
    "seeds_bad_real_bug": (
        [],
        [_bad_ticket("", status="open", agent_id="", first_response_at="", solved_at="",
                     csat_score="", updated_at="2024-06-20 09:00:00")],
    ),
    # step 3, where_and_severity: not_null on solved_at where status in (solved, closed). The
    # ticket is closed, not solved: `where status = 'solved'` misses it.
    "seeds_bad_where": (
        [],
        [_bad_ticket(9301, status="Closed", solved_at="", csat_score="",
                     updated_at="2024-06-20 09:30:00")],
    ),
    # step 3: a new channel. accepted_values on channel has severity warn: every test passes
    # or warns here, none fails.
    "seeds_bad_channel": ([], [_bad_ticket(9302, channel="WhatsApp")]),
    # step 4, singular_test: a ticket solved before it was opened. It was closed without an
    # answer (no first_response_at), so comparing solved_at with first_response_at misses it,
    # and it is closed, not solved. Ticket 9402, closed the minute it was opened (spam), is
    # fine: solved_at equal to opened_at is not before it (`<=` flags it). Ticket 9403 was solved
    # hours before it was opened, on the same day: comparing dates instead of times misses it.
    "seeds_bad_singular": (
        [],
        [_bad_ticket(9401, status="closed", first_response_at="", csat_score="",
                     opened_at="2024-06-20 09:00:00", solved_at="2024-06-19 17:00:00",
                     updated_at="2024-06-20 09:05:00"),
         _bad_ticket(9402, status="closed", first_response_at="", csat_score="",
                     opened_at="2024-06-20 10:00:00", solved_at="2024-06-20 10:00:00",
                     updated_at="2024-06-20 10:00:00"),
         # solved hours before it was opened, on the same day: a comparison of dates misses it
         _bad_ticket(9403, status="closed", first_response_at="", csat_score="",
                     opened_at="2024-06-20 14:00:00", solved_at="2024-06-20 11:00:00",
                     updated_at="2024-06-20 14:05:00")],
    ),
    # step 5, custom_generic_test: `positive` on first_response_minutes and on the scorecard's
    # average. 9501 was answered within the minute it was opened: 0 minutes is not positive
    # (`< 0` misses it). It is the only ticket of agent 8, whose average is then 0 too. A new
    # agent, 9, answered one ticket in 0 minutes and one in 1: an average of 0.5 is positive
    # (`< 1` flags it).
    "seeds_bad_generic": (
        [{"agent_id": 9, "agent_name": "Iris Novak", "team": "Billing", "hired_on": "2024-06-17"}],
        [_bad_ticket(9501, agent_id=8, first_response_at="2024-06-20 09:00:40"),
         _bad_ticket(9502, agent_id=9, opened_at="2024-06-20 11:00:00", first_response_at="2024-06-20 11:00:30"),
         _bad_ticket(9503, agent_id=9, opened_at="2024-06-20 12:00:00", first_response_at="2024-06-20 12:01:00")],
    ),
}


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, rng_seed: int = RNG_SEED, bad: str | None = None, first_ticket: int = FIRST_TICKET_ID,
             first_agent: int = FIRST_AGENT_ID, reopened: int = 0) -> None:
    """Write raw_agents.csv and raw_tickets.csv into out_dir (with the bad rows of BAD_SETS[bad])."""
    rng = random.Random(rng_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    agent_rows, ticket_rows = agents(first_agent), tickets(rng, first_ticket, first_agent, reopened)
    if bad:
        extra_agents, extra_tickets = BAD_SETS[bad]
        agent_rows, ticket_rows = agent_rows + extra_agents, ticket_rows + extra_tickets
    write(out_dir / "raw_agents.csv", agent_rows)
    write(out_dir / "raw_tickets.csv", ticket_rows)


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    generate(lesson_dir / "seeds")
    generate(lesson_dir / "seeds_variant", VARIANT_RNG_SEED, first_ticket=VARIANT_FIRST_TICKET_ID,
             first_agent=VARIANT_FIRST_AGENT_ID, reopened=N_REOPENED)
    for name in BAD_SETS:
        generate(lesson_dir / name, bad=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one good seed set here instead of every set")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of the data")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed)
    else:
        generate_all()


if __name__ == "__main__":
    main()
