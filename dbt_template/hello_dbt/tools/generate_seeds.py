"""Regenerate the hello_dbt seed CSVs: a tiny, deterministic online shop.

Run from the repository root:  python dbt_template/hello_dbt/tools/generate_seeds.py
It writes four seed sets next to this folder, byte-for-byte the same on every run (fixed
random seeds, fixed dates):

    seeds/             what the learner works with: 20 customers, 60 orders
    seeds_variant/     same files and columns, other values: other people in other countries,
                       other ids, dates, amounts and row counts. The grader re-runs every check
                       on it, so an answer that types in a value from seeds/ fails.
    seeds_bad_dups/    seeds/ plus a customer and an order exported twice: the learner's unique
                       tests (customers.customer_id, stg_orders.order_id) must fail there
    seeds_bad_nulls/   seeds/ plus a customer and an order without an id: their not_null tests
                       must fail there (a unique test ignores NULLs, so each set proves one test)

`--rng-seed N --out DIR` writes one clean seed set (the main shop's people) elsewhere. This file
lives in tools/, outside seeds/, starter/ and solution/, because learner workspaces accept no .py
files and never copy tools/.

The raw data is deliberately a little messy, so that the staging step has something to clean:
emails and statuses come in mixed case, amounts are stored in cents, and ids have raw names
(`id`, `user_id`). Edge cases, in every seed set, so that classic mistakes show:
- three customers never ordered (an inner join loses them; a missing coalesce leaves NULLs);
  one of them is the only customer of their country (that country's revenue is 0);
- one customer only has returned orders (a missing or mis-cased `status <> 'returned'` filter
  keeps them in customer_orders);
- every buyer but that one has at least one order that is not returned.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = LESSON_DIR / "seeds"
RNG_SEED = 20240601
VARIANT_RNG_SEED = 77


@dataclass(frozen=True)
class Shop:
    """Everything that makes one seed set: who the customers are and what they bought."""

    customers: tuple  # (first_name, last_name, country)
    never_ordered: frozenset  # positions (1-based) in customers without any order
    only_returned: frozenset  # positions whose every order is returned
    first_customer_id: int
    first_order_id: int
    n_orders: int
    first_signup: date
    signup_every_days: int
    first_order: date
    email_domain: str


MAIN = Shop(
    customers=(
        ("Ada", "Lovelace", "GB"), ("Alan", "Turing", "GB"), ("Grace", "Hopper", "US"),
        ("Edsger", "Dijkstra", "NL"), ("Barbara", "Liskov", "US"), ("Donald", "Knuth", "US"),
        ("Margaret", "Hamilton", "US"), ("Guido", "van Rossum", "NL"), ("Frances", "Allen", "US"),
        ("Tim", "Berners-Lee", "GB"), ("Karen", "Sparck Jones", "GB"), ("Niklaus", "Wirth", "CH"),
        ("Hedy", "Lamarr", "AT"), ("Konrad", "Zuse", "DE"), ("Radia", "Perlman", "US"),
        ("John", "Backus", "US"), ("Sophie", "Wilson", "GB"), ("Bjarne", "Stroustrup", "DK"),
        ("Anita", "Borg", "US"), ("Linus", "Torvalds", "FI"),
    ),
    never_ordered=frozenset({7, 13, 19}),  # 13 is Hedy Lamarr, AT's only customer
    only_returned=frozenset({9}),
    first_customer_id=1,
    first_order_id=1,
    n_orders=60,
    first_signup=date(2024, 1, 3),
    signup_every_days=3,
    first_order=date(2024, 2, 1),
    email_domain="example.com",
)

# Other people in other countries, other ids, dates and sizes: nothing typed in from seeds/
# matches here.
VARIANT = Shop(
    customers=(
        ("Katherine", "Johnson", "CA"), ("Dorothy", "Vaughan", "CA"), ("Leslie", "Lamport", "FR"),
        ("Ken", "Thompson", "FR"), ("Dennis", "Ritchie", "SE"), ("Fran", "Allen-Bilas", "SE"),
        ("Jean", "Sammet", "IT"), ("Adele", "Goldberg", "IT"), ("Yukihiro", "Matsumoto", "JP"),
        ("Shafi", "Goldwasser", "JP"), ("Raj", "Reddy", "IN"), ("Ole-Johan", "Dahl", "NO"),
        ("Kristen", "Nygaard", "NO"), ("Peter", "Naur", "PL"), ("Mary", "Shaw", "ES"),
        ("Jeannette", "Wing", "ES"), ("Robin", "Milner", "BR"), ("Joan", "Clarke", "IE"),
        ("Butler", "Lampson", "BR"), ("Cynthia", "Dwork", "FR"), ("Whitfield", "Diffie", "IT"),
        ("Ivan", "Sutherland", "CA"),
    ),
    never_ordered=frozenset({4, 12, 18}),  # 18 is Joan Clarke, IE's only customer
    only_returned=frozenset({15}),
    first_customer_id=101,
    first_order_id=5001,
    n_orders=64,
    first_signup=date(2023, 9, 11),
    signup_every_days=4,
    first_order=date(2023, 10, 20),
    email_domain="example.org",
)

STATUSES = ["completed"] * 6 + ["shipped"] * 2 + ["placed", "returned", "returned"]


def _messy_case(rng: random.Random, text: str) -> str:
    """Return text as typed by a hurried human: lower, Title or UPPER case."""
    return rng.choice([text, text.title(), text.upper()])


def _same_case(like: str, text: str) -> str:
    """text in the case style of `like` (so a forced value stays as messy as the others)."""
    if like.isupper():
        return text.upper()
    if like.islower():
        return text.lower()
    return text.title()


def customers(rng: random.Random, shop: Shop = MAIN) -> list[dict]:
    rows = []
    for i, (first, last, country) in enumerate(shop.customers, start=1):
        email = f"{first}.{last.replace(' ', '').replace('-', '')}@{shop.email_domain}".lower()
        rows.append({
            "id": shop.first_customer_id + i - 1,
            "first_name": first,
            "last_name": last,
            "email": _messy_case(rng, email),
            "country": country,
            "signup_date": (shop.first_signup + timedelta(days=shop.signup_every_days * i)).isoformat(),
        })
    return rows


def orders(rng: random.Random, shop: Shop = MAIN) -> list[dict]:
    buyers = [c for c in range(1, len(shop.customers) + 1) if c not in shop.never_ordered]
    rows = []
    day = shop.first_order
    for i in range(1, shop.n_orders + 1):
        day += timedelta(days=rng.randint(0, 3))
        # Every buyer orders at least once, the rest is random.
        customer = buyers[i - 1] if i <= len(buyers) else rng.choice(buyers)
        status = _messy_case(rng, rng.choice(STATUSES))
        if customer in shop.only_returned:
            status = _same_case(status, "returned")
        elif i <= len(buyers) and status.lower() == "returned":
            status = _same_case(status, "completed")  # every other buyer keeps a real sale
        rows.append({
            "id": shop.first_order_id + i - 1,
            "user_id": shop.first_customer_id + customer - 1,
            "order_date": day.isoformat(),
            "status": status,
            "amount_cents": rng.randint(8, 120) * 50 - rng.choice([0, 1]),
        })
    return rows


def with_duplicates(customer_rows: list[dict], order_rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The main shop with a customer and an order exported twice: unique tests must catch them."""
    twice = dict(customer_rows[4])
    twice["email"] = twice["email"].lower()
    return customer_rows + [twice], order_rows + [dict(order_rows[-1])]


def with_missing_ids(customer_rows: list[dict], order_rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The main shop with a customer (who never ordered) and an order without an id: not_null
    tests must catch them."""
    no_id = {"id": "", "first_name": "Kathleen", "last_name": "Booth", "email": "kathleen.booth@example.com",
             "country": "GB", "signup_date": "2024-03-06"}
    order_no_id = {"id": "", "user_id": order_rows[0]["user_id"], "order_date": order_rows[-1]["order_date"],
                   "status": "placed", "amount_cents": 2500}
    return customer_rows + [no_id], order_rows + [order_no_id]


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def tables(rng_seed: int, shop: Shop = MAIN) -> tuple[list[dict], list[dict]]:
    rng = random.Random(rng_seed)
    customer_rows = customers(rng, shop)
    return customer_rows, orders(rng, shop)


def write_set(out_dir: Path, data: tuple[list[dict], list[dict]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write(out_dir / "raw_customers.csv", data[0])
    write(out_dir / "raw_orders.csv", data[1])


def generate(out_dir: Path = SEEDS_DIR, rng_seed: int = RNG_SEED) -> None:
    """Write raw_customers.csv and raw_orders.csv of the main shop into out_dir."""
    write_set(out_dir, tables(rng_seed))


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    """Write seeds/, seeds_variant/, seeds_bad_dups/ and seeds_bad_nulls/ under lesson_dir."""
    clean = tables(RNG_SEED)
    write_set(lesson_dir / "seeds", clean)
    write_set(lesson_dir / "seeds_variant", tables(VARIANT_RNG_SEED, VARIANT))
    write_set(lesson_dir / "seeds_bad_dups", with_duplicates(*clean))
    write_set(lesson_dir / "seeds_bad_nulls", with_missing_ids(*clean))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one clean seed set here instead of all four")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of that set")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed)
    else:
        generate_all()


if __name__ == "__main__":
    main()
