"""Regenerate the trust_your_data seed CSVs: a small, deterministic customer-support desk.

Run from the repository root:  python dbt_template/trust_your_data/tools/generate_seeds.py
With no options it writes all three seed sets of the lesson, byte-for-byte the same on every run
(fixed random seeds, fixed dates):

    seeds/          the learner's data (and grading)
    seeds_variant/  the same files and columns with other values (grading: no hard-coded answers)
    seeds_bad/      seeds/ plus known bad rows, one per rule the learner's tests must enforce

`--rng-seed N --out DIR` writes one good set elsewhere. It lives in tools/, outside seeds/,
starter/ and solution/, because learner workspaces accept no .py files and never copy tools/.

What is in the data, on purpose:
- raw_tickets comes from a help-desk integration that re-sends a ticket when it changes: a few
  ticket_ids appear twice, an older copy (pending) and the newest one (solved). The learner's
  `unique` test finds them and staging keeps the copy with the latest updated_at.
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
FIRST_TICKET_ID = 1001
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
ACTIVE_AGENTS = list(range(1, len(AGENTS)))  # agent 8 has no tickets
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


def agents() -> list[dict]:
    return [{"agent_id": i, "agent_name": name, "team": team, "hired_on": hired}
            for i, (name, team, hired) in enumerate(AGENTS, start=1)]


def _ticket(rng: random.Random, ticket_id: int, opened: datetime) -> dict:
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
        "agent_id": None if unassigned else rng.choice(ACTIVE_AGENTS),
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


def tickets(rng: random.Random) -> list[dict]:
    """Every ticket's newest copy, plus an older (pending) copy of a few solved ones."""
    newest = []
    opened = START
    for i in range(N_TICKETS):
        opened += timedelta(minutes=rng.randint(20, 400))
        newest.append(_ticket(rng, FIRST_TICKET_ID + i, opened))
    solved_ids = [t["ticket_id"] for t in newest if t["status"] in ("solved", "closed")]
    resent = set(rng.sample(solved_ids, N_RESENT))
    rows = []
    for ticket in newest:
        if ticket["ticket_id"] in resent:
            older = dict(ticket, status="pending", solved_at=None, csat_score=None,
                         updated_at=ticket["first_response_at"])
            rows.append(older)
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


def bad_rows() -> tuple[list[dict], list[dict]]:
    """Rows that break one rule each; every one must be caught by a test of the solution."""
    agent = {"agent_id": 3, "agent_name": "Mei Chen (imported twice)", "team": "Technical",
             "hired_on": "2022-01-10"}  # unique on stg_agents.agent_id

    def ticket(ticket_id, **changes):
        base = {"ticket_id": ticket_id, "agent_id": 2, "requester_email": "zoe@example.com",
                "channel": "email", "priority": "normal", "status": "solved",
                "opened_at": "2024-06-20 09:00:00", "first_response_at": "2024-06-20 09:30:00",
                "solved_at": "2024-06-20 15:00:00", "csat_score": 4,
                "updated_at": "2024-06-20 15:00:00"}
        return {**base, **changes}

    ticket_rows = [
        ticket(9001, status="Escalated"),  # accepted_values on status
        ticket(9002, agent_id=99),  # relationships to stg_agents
        ticket(9003, solved_at="", updated_at="2024-06-20 09:30:00"),  # not_null where solved
        ticket(9004, first_response_at="2024-06-20 08:45:00"),  # positive first_response_minutes
        ticket(9005, solved_at="2024-06-19 17:00:00", updated_at="2024-06-20 09:30:00"),  # singular
        ticket("", status="open", solved_at="", first_response_at="", csat_score="",
               updated_at="2024-06-20 09:00:00"),  # not_null on ticket_id
        ticket(9006, channel="WhatsApp"),  # accepted_values on channel, severity warn: only a warning
    ]
    return [agent], ticket_rows


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, rng_seed: int = RNG_SEED, bad: bool = False) -> None:
    """Write raw_agents.csv and raw_tickets.csv into out_dir (with the bad rows if `bad`)."""
    rng = random.Random(rng_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    agent_rows, ticket_rows = agents(), tickets(rng)
    if bad:
        extra_agents, extra_tickets = bad_rows()
        agent_rows, ticket_rows = agent_rows + extra_agents, ticket_rows + extra_tickets
    write(out_dir / "raw_agents.csv", agent_rows)
    write(out_dir / "raw_tickets.csv", ticket_rows)


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    generate(lesson_dir / "seeds")
    generate(lesson_dir / "seeds_variant", VARIANT_RNG_SEED)
    generate(lesson_dir / "seeds_bad", bad=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one good seed set here instead of all three")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of the data")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed)
    else:
        generate_all()


if __name__ == "__main__":
    main()
