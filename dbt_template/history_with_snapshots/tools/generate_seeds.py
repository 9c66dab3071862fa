"""Regenerate the history_with_snapshots seed CSVs: a small, deterministic bike-parts shop.

Run from the repository root:  python dbt_template/history_with_snapshots/tools/generate_seeds.py
With no options it writes seeds/ and seeds_variant/ (same files and columns, other values),
byte-for-byte the same on every run (fixed random seeds, fixed dates). `--rng-seed N --out DIR`
writes one set elsewhere. It lives in tools/, outside seeds/, starter/ and solution/, because
learner workspaces accept no .py files and never copy tools/.

The shop's systems only ever show the present, which is what the lesson is about:
- raw_products is tonight's extract of the catalog (2024-06-30). updated_at is when a product
  last changed. Most products last changed before the quarter's orders began (April 1st); three
  were repriced in April, so the extract only knows their newest price, and orders
  placed before that change cannot be priced from it. At least one order of each of those
  products falls before its change, on purpose.
- raw_customers is the CRM's export: no updated_at column at all.
- raw_products_tomorrow and raw_customers_tomorrow are the same extracts one day later, for the
  learner to point a snapshot at and run `dbt snapshot` again: prices change (one of them without
  a new updated_at, a bug the timestamp strategy cannot see), a product is discontinued and one
  is new; customers move, upgrade, change email, one closes their account and one signs up.
  Grading never reads them; they make history visible in the learner's own warehouse.
- raw_orders: one product per order, April to June 2024, placed between 08:00 and 22:00, while
  catalog changes happen at 06:xx, so an order is never placed at the very second of a change.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
RNG_SEED = 20240630
VARIANT_RNG_SEED = 11
N_ORDERS = 60
N_REPRICED = 3
QUARTER_START = datetime(2024, 4, 1)
QUARTER_DAYS = 90  # April 1st to June 29th
TOMORROW = datetime(2024, 7, 1, 6, 30)

PRODUCTS = [  # product_name, category, usual price in cents (the pivot in step 5 lists the categories)
    ("Chain 11-speed", "components", 3499), ("Brake pads", "components", 1899),
    ("Cassette 11-32", "components", 6999), ("Tubeless valves", "components", 1499),
    ("Bottle cage", "accessories", 1299), ("Front light", "accessories", 3999),
    ("Saddle bag", "accessories", 2499), ("Bell", "accessories", 999),
    ("Cycling cap", "apparel", 1999), ("Rain jacket", "apparel", 8999),
    ("Winter gloves", "apparel", 3499), ("Merino socks", "apparel", 1599),
    ("Mini pump", "tools", 2999), ("Multi-tool", "tools", 2499),
    ("Tyre levers", "tools", 599), ("Chain checker", "tools", 1199),
]
NEW_PRODUCT = ("Tubeless sealant", "components")
CUSTOMERS = [  # full_name, city
    ("Ada Byron", "London"), ("Ben Okoro", "Lagos"), ("Chloé Martin", "Lyon"),
    ("Dario Conti", "Milan"), ("Elif Kaya", "Izmir"), ("Finn Larsen", "Aarhus"),
    ("Greta Vogel", "Leipzig"), ("Hana Sato", "Osaka"), ("Ivan Petrov", "Sofia"),
    ("Julia Nowak", "Krakow"), ("Kai Müller", "Bremen"), ("Lara Silva", "Porto"),
    ("Mateo Ruiz", "Seville"), ("Nora Berg", "Bergen"), ("Omar Haddad", "Amman"),
    ("Pia Jensen", "Odense"), ("Quentin Roy", "Nantes"), ("Rosa Diaz", "Valencia"),
    ("Sven Lind", "Malmo"), ("Tess Moore", "Leeds"),
]
NEW_CUSTOMER = ("Uma Rao", "Pune")
TIERS = ["bronze"] * 5 + ["silver"] * 3 + ["gold"] * 2
CITIES = ["Berlin", "Vienna", "Ghent", "Turin", "Tallinn", "Dublin"]


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _change_time(rng: random.Random, day: datetime) -> datetime:
    """Catalog jobs run early in the morning: 06:00 to 06:59."""
    return day.replace(hour=6, minute=rng.randint(0, 59), second=0)


def products(rng: random.Random) -> tuple[list[dict], set[int]]:
    """Tonight's catalog, and the ids of the products repriced during the quarter."""
    repriced = set(rng.sample(range(1, len(PRODUCTS) + 1), N_REPRICED))
    rows = []
    for i, (name, category, cents) in enumerate(PRODUCTS, start=1):
        if i in repriced:
            day = QUARTER_START + timedelta(days=rng.randint(7, 29))  # Apr 8 .. Apr 30
        else:
            day = datetime(2024, 1, 5) + timedelta(days=rng.randint(0, 80))  # before April
        rows.append({"product_id": i, "product_name": name, "category": category,
                     "price_cents": cents + rng.choice([-300, -200, -100, 0, 100, 200, 300]),
                     "updated_at": _ts(_change_time(rng, day))})
    return rows, repriced


def products_tomorrow(rng: random.Random, today: list[dict]) -> list[dict]:
    """The same catalog a day later: three repriced, one silently repriced, one gone, one new."""
    ids = [row["product_id"] for row in today]
    changed, silent, gone = rng.sample(ids, 3), *rng.sample(ids, 2)
    while silent in changed or gone in changed or silent == gone:
        changed, silent, gone = rng.sample(ids, 3), *rng.sample(ids, 2)
    rows = []
    for row in today:
        row = dict(row)
        if row["product_id"] == gone:
            continue
        if row["product_id"] in changed:
            row["price_cents"] += rng.choice([-200, 100, 200, 500])
            row["updated_at"] = _ts(TOMORROW)
        if row["product_id"] == silent:
            row["price_cents"] += 100  # the source system forgot to bump updated_at
        rows.append(row)
    name, category = NEW_PRODUCT
    rows.append({"product_id": len(PRODUCTS) + 1, "product_name": name, "category": category,
                 "price_cents": 1299, "updated_at": _ts(TOMORROW)})
    return rows


def customers(rng: random.Random) -> list[dict]:
    rows = []
    for i, (name, city) in enumerate(CUSTOMERS, start=1):
        first, last = name.lower().split()
        rows.append({"customer_id": i, "full_name": name, "email": f"{first}.{last}@example.com",
                     "city": city, "loyalty_tier": rng.choice(TIERS)})
    return rows


def customers_tomorrow(rng: random.Random, today: list[dict]) -> list[dict]:
    """Two customers move, one is upgraded, one changes email, one leaves, one signs up."""
    ids = rng.sample([row["customer_id"] for row in today], 5)
    moved, upgraded, new_email, gone = ids[:2], ids[2], ids[3], ids[4]
    rows = []
    for row in today:
        row = dict(row)
        if row["customer_id"] == gone:
            continue
        if row["customer_id"] in moved:
            row["city"] = rng.choice([c for c in CITIES if c != row["city"]])
        if row["customer_id"] == upgraded:
            row["loyalty_tier"] = {"bronze": "silver", "silver": "gold", "gold": "platinum"}[row["loyalty_tier"]]
        if row["customer_id"] == new_email:
            row["email"] = row["email"].replace("@example.com", "@mail.example.org")
        rows.append(row)
    name, city = NEW_CUSTOMER
    first, last = name.lower().split()
    rows.append({"customer_id": len(CUSTOMERS) + 1, "full_name": name,
                 "email": f"{first}.{last}@example.com", "city": city, "loyalty_tier": "bronze"})
    return rows


def orders(rng: random.Random, repriced: set[int]) -> list[dict]:
    """Orders of the quarter; each repriced product is ordered in the first days of April."""
    placed = []
    for product_id in sorted(repriced):  # before the repricing: no known price for these
        day = QUARTER_START + timedelta(days=rng.randint(0, 5))
        placed.append((day, product_id))
    while len(placed) < N_ORDERS:
        placed.append((QUARTER_START + timedelta(days=rng.randint(0, QUARTER_DAYS - 1)),
                       rng.randint(1, len(PRODUCTS))))
    rows = []
    for day, product_id in placed:
        at = day.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59))
        rows.append((at, product_id))
    rows.sort()
    return [{"order_id": 5001 + i, "customer_id": rng.randint(1, len(CUSTOMERS)), "product_id": product_id,
             "quantity": rng.choice([1, 1, 1, 2, 2, 3]), "ordered_at": _ts(at)}
            for i, (at, product_id) in enumerate(rows)]


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, rng_seed: int = RNG_SEED) -> None:
    """Write the five raw_*.csv files into out_dir."""
    rng = random.Random(rng_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    product_rows, repriced = products(rng)
    customer_rows = customers(rng)
    write(out_dir / "raw_products.csv", product_rows)
    write(out_dir / "raw_products_tomorrow.csv", products_tomorrow(rng, product_rows))
    write(out_dir / "raw_customers.csv", customer_rows)
    write(out_dir / "raw_customers_tomorrow.csv", customers_tomorrow(rng, customer_rows))
    write(out_dir / "raw_orders.csv", orders(rng, repriced))


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    generate(lesson_dir / "seeds")
    generate(lesson_dir / "seeds_variant", VARIANT_RNG_SEED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one seed set here instead of seeds/ and seeds_variant/")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of the data")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed)
    else:
        generate_all()


if __name__ == "__main__":
    main()
