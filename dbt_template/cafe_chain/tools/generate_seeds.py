"""Regenerate the cafe_chain seed CSVs: two weeks of a small, deterministic café chain.

Run from the repository root:  python dbt_template/cafe_chain/tools/generate_seeds.py
It writes three seed sets next to this folder, byte-for-byte the same on every run:

  seeds/          what the learner works with (fixed random seed, fixed dates)
  seeds_variant/  same files and columns, other values (another random seed): the grader
                  checks every step on it too, so a hard-coded answer fails
  seeds_bad/      seeds/ plus a few known bad rows, for `tests_catch` checks: a learner's
                  generic tests must fail on it (see BAD_ORDERS and BAD_ORDER_LINES)

`--rng-seed N --out DIR` writes one more clean variant elsewhere. The script lives in tools/,
outside seeds/, starter/ and solution/, because workspaces accept no .py files and never copy tools/.

The raw data is what a till system exports, and a little messy on purpose so that the staging
step has something to clean: raw column names (`id`, `qty`), prices in cents, categories and
statuses in mixed case, and order times as day-first text (`04/03/2024 08:15`) that the seed
loader keeps as VARCHAR. Edge cases kept on purpose: voided orders have no order lines (an inner
join loses them), the newest store opens after the data ends (no orders at all), and the seasonal
pumpkin spice latte is on the menu but was never sold.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
RNG_SEED = 20240304
VARIANT_RNG_SEED = 77
N_ORDERS = 200
N_DAYS = 14
FIRST_DAY = date(2024, 3, 4)  # a Monday; the data covers 4 to 17 March 2024
TIME_FORMAT = "%d/%m/%Y %H:%M"  # how the till writes times: text, day first

STORES = [  # id, name, city, opened_on (moved by up to 60 days per seed set), share of the orders
    (1, "Bean There Old Town", "Amsterdam", "2019-04-12", 4),
    (2, "Bean There Central Station", "Utrecht", "2020-09-01", 3),
    (3, "Bean There Harbour", "Rotterdam", "2021-06-15", 2),
    (4, "Bean There Campus", "Leiden", "2022-10-03", 1),
    (5, "Bean There Riverside", "Haarlem", "2024-04-02", 0),  # opens after the data ends
]

PRODUCTS = [  # name, category, list price in cents
    ("Espresso", "coffee", 250), ("Americano", "coffee", 300), ("Cappuccino", "coffee", 360),
    ("Flat white", "coffee", 380), ("Latte", "coffee", 390), ("Mocha", "coffee", 420),
    ("Cold brew", "coffee", 400), ("Green tea", "tea", 280), ("Earl grey", "tea", 270),
    ("Chai latte", "tea", 400), ("Croissant", "bakery", 280), ("Pain au chocolat", "bakery", 310),
    ("Cinnamon bun", "bakery", 350), ("Banana bread", "bakery", 330),
    ("Blueberry muffin", "bakery", 320), ("Avocado toast", "kitchen", 850),
    ("Ham and cheese toastie", "kitchen", 690), ("Granola bowl", "kitchen", 620),
    ("Fresh orange juice", "cold drinks", 450), ("Sparkling water", "cold drinks", 220),
    ("Pumpkin spice latte", "seasonal", 480),  # autumn only: never sold in March
]
NEVER_SOLD = {"Pumpkin spice latte"}
STATUSES = ["completed"] * 22 + ["refunded", "refunded", "voided", "voided"]
LINES_PER_ORDER = ([1, 2, 3, 4, 5], [2, 3, 3, 2, 1])  # choices, weights
QUANTITY = ([1, 2, 3], [8, 2, 1])

# seeds_bad/ = seeds/ plus these rows. Each one trips one kind of generic test:
BAD_ORDERS = [
    {"id": 17, "store_id": 2, "ordered_at": "17/03/2024 18:55", "status": "completed"},  # duplicate id
    {"id": 201, "store_id": "", "ordered_at": "17/03/2024 19:05", "status": "completed"},  # NULL store_id
    {"id": 202, "store_id": 1, "ordered_at": "17/03/2024 19:10", "status": "Pending"},  # unknown status
]
BAD_ORDER_LINES = [
    {"id": None, "order_id": 5, "product_id": 99, "qty": 1, "unit_price_cents": 500},  # no product 99
]


def _messy_case(rng: random.Random, text: str) -> str:
    """Return text as typed by a hurried human: lower, Title or UPPER case."""
    return rng.choice([text, text.title(), text.upper()])


def stores(rng: random.Random) -> list[dict]:
    rows = []
    for i, name, city, opened, share in STORES:
        day = date.fromisoformat(opened)
        if share:  # an open store: a different opening day per seed set; Riverside stays in April
            day += timedelta(days=rng.randint(-60, 60))
        rows.append({"id": i, "name": name, "city": city, "opened_on": day.isoformat()})
    return rows


def products(rng: random.Random) -> list[dict]:
    rows = []
    for i, (name, category, cents) in enumerate(PRODUCTS, start=1):
        rows.append({
            "id": i,
            "name": name,
            "category": _messy_case(rng, category),
            "price_cents": cents + rng.choice([-20, -10, 0, 0, 0, 10, 20]),
        })
    return rows


def orders(rng: random.Random) -> list[dict]:
    """N_ORDERS orders over N_DAYS days between 07:00 and 19:00, ids in time order."""
    store_ids = [s[0] for s in STORES if s[4]]
    weights = [s[4] for s in STORES if s[4]]
    times = []
    for _ in range(N_ORDERS):
        day = FIRST_DAY + timedelta(days=rng.randrange(N_DAYS))
        at = datetime(day.year, day.month, day.day, 7) + timedelta(minutes=rng.randrange(12 * 60))
        times.append((at, rng.choices(store_ids, weights)[0]))
    times.sort()
    return [{"id": i, "store_id": store, "ordered_at": at.strftime(TIME_FORMAT),
             "status": _messy_case(rng, rng.choice(STATUSES))}
            for i, (at, store) in enumerate(times, start=1)]


def order_lines(rng: random.Random, order_rows: list[dict], product_rows: list[dict]) -> list[dict]:
    """1-5 different products per order; voided orders were cancelled at the till: no lines."""
    sellable = [p for p in product_rows if p["name"] not in NEVER_SOLD]
    rows = []
    for order in order_rows:
        if order["status"].lower() == "voided":
            continue
        for product in rng.sample(sellable, rng.choices(*LINES_PER_ORDER)[0]):
            rows.append({
                "id": len(rows) + 1,
                "order_id": order["id"],
                "product_id": product["id"],
                "qty": rng.choices(*QUANTITY)[0],
                "unit_price_cents": product["price_cents"],
            })
    return rows


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def tables(rng_seed: int) -> dict[str, list[dict]]:
    rng = random.Random(rng_seed)
    store_rows = stores(rng)
    product_rows = products(rng)
    order_rows = orders(rng)
    return {
        "raw_stores": store_rows,
        "raw_products": product_rows,
        "raw_orders": order_rows,
        "raw_order_lines": order_lines(rng, order_rows, product_rows),
    }


def with_bad_rows(clean: dict[str, list[dict]]) -> dict[str, list[dict]]:
    bad = {name: list(rows) for name, rows in clean.items()}
    bad["raw_orders"] += BAD_ORDERS
    next_id = len(clean["raw_order_lines"]) + 1
    bad["raw_order_lines"] += [{**row, "id": next_id + i} for i, row in enumerate(BAD_ORDER_LINES)]
    return bad


def write_set(out_dir: Path, data: dict[str, list[dict]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in data.items():
        write(out_dir / f"{name}.csv", rows)


def generate(out_dir: Path = LESSON_DIR / "seeds", rng_seed: int = RNG_SEED) -> None:
    """Write the four raw_*.csv files of one clean seed set into out_dir."""
    write_set(out_dir, tables(rng_seed))


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    """Write seeds/, seeds_variant/ and seeds_bad/ under lesson_dir."""
    clean = tables(RNG_SEED)
    write_set(lesson_dir / "seeds", clean)
    write_set(lesson_dir / "seeds_variant", tables(VARIANT_RNG_SEED))
    write_set(lesson_dir / "seeds_bad", with_bad_rows(clean))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one clean seed set here instead of all three")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of that set")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed)
    else:
        generate_all()


if __name__ == "__main__":
    main()
