"""Regenerate the hello_dbt seed CSVs: a tiny, deterministic online shop.

Run from the repository root:  python dbt_template/hello_dbt/tools/generate_seeds.py
The output is byte-for-byte the same on every run (fixed random seed, fixed dates), so tests
can assert exact numbers. `--rng-seed N --out DIR` writes a *variant* of the data elsewhere:
the lesson's checks must pass on any variant, so a hard-coded answer cannot pass them. It lives in tools/, outside seeds/, starter/ and
solution/, because learner workspaces accept no .py files and never copy tools/.

The raw data is deliberately a little messy, so that the staging step has something to clean:
emails and statuses come in mixed case, amounts are stored in cents, and ids have raw names
(`id`, `user_id`). Three customers never ordered, so an inner join visibly loses them.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
RNG_SEED = 20240601
N_ORDERS = 60

CUSTOMERS = [  # first_name, last_name, country
    ("Ada", "Lovelace", "GB"), ("Alan", "Turing", "GB"), ("Grace", "Hopper", "US"),
    ("Edsger", "Dijkstra", "NL"), ("Barbara", "Liskov", "US"), ("Donald", "Knuth", "US"),
    ("Margaret", "Hamilton", "US"), ("Guido", "van Rossum", "NL"), ("Frances", "Allen", "US"),
    ("Tim", "Berners-Lee", "GB"), ("Karen", "Sparck Jones", "GB"), ("Niklaus", "Wirth", "CH"),
    ("Hedy", "Lamarr", "AT"), ("Konrad", "Zuse", "DE"), ("Radia", "Perlman", "US"),
    ("John", "Backus", "US"), ("Sophie", "Wilson", "GB"), ("Bjarne", "Stroustrup", "DK"),
    ("Anita", "Borg", "US"), ("Linus", "Torvalds", "FI"),
]
NEVER_ORDERED = {7, 13, 19}  # customer ids without any order
STATUSES = ["completed"] * 6 + ["shipped"] * 2 + ["placed", "returned", "returned"]
FIRST_SIGNUP = date(2024, 1, 3)
FIRST_ORDER = date(2024, 2, 1)


def _messy_case(rng: random.Random, text: str) -> str:
    """Return text as typed by a hurried human: lower, Title or UPPER case."""
    return rng.choice([text, text.title(), text.upper()])


def customers(rng: random.Random) -> list[dict]:
    rows = []
    for i, (first, last, country) in enumerate(CUSTOMERS, start=1):
        email = f"{first}.{last.replace(' ', '').replace('-', '')}@example.com".lower()
        rows.append({
            "id": i,
            "first_name": first,
            "last_name": last,
            "email": _messy_case(rng, email),
            "country": country,
            "signup_date": (FIRST_SIGNUP + timedelta(days=3 * i)).isoformat(),
        })
    return rows


def orders(rng: random.Random) -> list[dict]:
    buyers = [c for c in range(1, len(CUSTOMERS) + 1) if c not in NEVER_ORDERED]
    rows = []
    day = FIRST_ORDER
    for i in range(1, N_ORDERS + 1):
        day += timedelta(days=rng.randint(0, 3))
        # Every buyer orders at least once, the rest is random.
        customer = buyers[i - 1] if i <= len(buyers) else rng.choice(buyers)
        rows.append({
            "id": i,
            "user_id": customer,
            "order_date": day.isoformat(),
            "status": _messy_case(rng, rng.choice(STATUSES)),
            "amount_cents": rng.randint(8, 120) * 50 - rng.choice([0, 1]),
        })
    return rows


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path = SEEDS_DIR, rng_seed: int = RNG_SEED) -> None:
    """Write raw_customers.csv and raw_orders.csv into out_dir."""
    rng = random.Random(rng_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    write(out_dir / "raw_customers.csv", customers(rng))
    write(out_dir / "raw_orders.csv", orders(rng))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SEEDS_DIR, help="output folder (default: seeds/)")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of the data")
    args = parser.parse_args()
    generate(args.out, args.rng_seed)


if __name__ == "__main__":
    main()
