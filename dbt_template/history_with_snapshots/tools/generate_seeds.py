"""Regenerate the history_with_snapshots seed CSVs: a small, deterministic bike-parts shop.

Run from the repository root:  python dbt_template/history_with_snapshots/tools/generate_seeds.py
With no options it writes four folders, byte-for-byte the same on every run (fixed random seeds,
fixed dates): seeds/ and seeds_variant/ (same files and columns, other values: other ids, prices,
dates and choices), and beside each its second state, seeds_next/ and seeds_variant_next/.
`--rng-seed N --out DIR` writes one set (and DIR_next) elsewhere. It lives in tools/, outside
seeds/, starter/ and solution/, because learner workspaces accept no .py files and never copy
tools/.

The shop's systems only ever show the present, which is what the lesson is about:
- raw_products is tonight's extract of the catalog (the last day of the quarter). updated_at is
  when a product last changed. Most products last changed before the quarter's orders began;
  three were repriced early in the quarter, so the extract only knows their newest price:
  each of them has an order placed before that change (no known price), one at 05:xx on the day
  of the change (still no known price: a window on dates, not timestamps, gets it wrong), one at
  the very second of the change (the first version's dbt_valid_from: `>=`, not `>`) and one after.
- raw_customers is the CRM's export: no updated_at column at all.
- raw_orders: one product per order, placed between 08:00 and 22:00 (catalog changes happen at
  06:xx, so only the orders placed on purpose at a change's instant share it).
- The day after (`*_tomorrow` in every set, for the learner's own "run dbt snapshot again"
  experiments, and the same data as the grader's second state): three products are repriced,
  one silently (its updated_at does not move, a bug the timestamp strategy cannot see), one is
  renamed, one that was ordered is filed under another category (an order keeps its version's
  category, not today's), one is "touched" (updated_at moves, nothing else: timestamp records a version the check
  strategy would not), one is discontinued and one is new; customers move, upgrade, change email,
  one has a typo in their name fixed (not a check column: no new version), one closes their
  account (hard deletes) and one signs up.
- seeds_next/ is the grader's second seed state: the grade build runs seed, snapshot, run, then
  replaces these files and runs seed, snapshot, run, test again. It holds raw_products and
  raw_customers of the day after, and raw_orders with the day's new orders appended: one placed
  at the very second three products changed (the old version's dbt_valid_to and the new one's
  dbt_valid_from: `<`, not `<=`), one earlier that morning (the old price), and a few more,
  covering fewer than all categories (a pivot's `else 0` against `else null`).
- seeds_variant's quarter runs into a new year, so a year or date typed from the main data fails.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
N_ORDERS = 60
N_REPRICED = 3
QUARTER_DAYS = 90  # orders are placed on 90 days from the quarter's start


@dataclass(frozen=True)
class Shop:
    """What differs between the seed sets besides the random draws: ids and the calendar."""

    rng_seed: int
    quarter_start: datetime
    first_product_id: int
    first_customer_id: int
    first_order_id: int
    tomorrow_minute: int  # tomorrow's catalog job runs at 06:<this>

    @property
    def tomorrow(self) -> datetime:
        return (self.quarter_start + timedelta(days=QUARTER_DAYS + 1)).replace(hour=6, minute=self.tomorrow_minute)


MAIN = Shop(rng_seed=20240630, quarter_start=datetime(2024, 4, 1), first_product_id=1, first_customer_id=1,
            first_order_id=5001, tomorrow_minute=30)
VARIANT = Shop(rng_seed=11, quarter_start=datetime(2024, 11, 20), first_product_id=41, first_customer_id=61,
               first_order_id=8001, tomorrow_minute=45)
RNG_SEED = MAIN.rng_seed

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
RENAMED_SUFFIX = " (2nd gen)"


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _change_time(rng: random.Random, day: datetime) -> datetime:
    """Catalog jobs run early in the morning: 06:00 to 06:59."""
    return day.replace(hour=6, minute=rng.randint(0, 59), second=0)


def products(rng: random.Random, shop: Shop) -> tuple[list[dict], set[int]]:
    """Tonight's catalog, and the ids of the products repriced during the quarter."""
    repriced = {shop.first_product_id + i - 1 for i in rng.sample(range(1, len(PRODUCTS) + 1), N_REPRICED)}
    rows = []
    for i, (name, category, cents) in enumerate(PRODUCTS):
        product_id = shop.first_product_id + i
        if product_id in repriced:
            day = shop.quarter_start + timedelta(days=rng.randint(7, 29))  # 8th to 30th day of the quarter
        else:
            day = shop.quarter_start - timedelta(days=87) + timedelta(days=rng.randint(0, 80))  # before it
        rows.append({"product_id": product_id, "product_name": name, "category": category,
                     "price_cents": cents + rng.choice([-300, -200, -100, 0, 100, 200, 300]),
                     "updated_at": _ts(_change_time(rng, day))})
    return rows, repriced


def products_tomorrow(rng: random.Random, extra: random.Random, today: list[dict],
                      shop: Shop) -> tuple[list[dict], dict]:
    """The same catalog a day later, and what changed (ids by kind of change)."""
    ids = [row["product_id"] for row in today]
    changed, silent, gone = rng.sample(ids, 3), *rng.sample(ids, 2)
    while silent in changed or gone in changed or silent == gone:
        changed, silent, gone = rng.sample(ids, 3), *rng.sample(ids, 2)
    renamed, touched = extra.sample([i for i in ids if i not in {*changed, silent, gone}], 2)
    tomorrow = _ts(shop.tomorrow)
    rows = []
    for row in today:
        row = dict(row)
        if row["product_id"] == gone:
            continue
        if row["product_id"] in changed:
            row["price_cents"] += rng.choice([-200, 100, 200, 500])
            row["updated_at"] = tomorrow
        if row["product_id"] == silent:
            row["price_cents"] += 100  # the source system forgot to bump updated_at
        if row["product_id"] == renamed:
            row["product_name"] += RENAMED_SUFFIX
            row["updated_at"] = tomorrow
        if row["product_id"] == touched:
            row["updated_at"] = tomorrow  # saved again without a change
        rows.append(row)
    name, category = NEW_PRODUCT
    new_id = shop.first_product_id + len(PRODUCTS)
    rows.append({"product_id": new_id, "product_name": name, "category": category,
                 "price_cents": 1299 + extra.choice([-200, -100, 100, 200]), "updated_at": tomorrow})
    return rows, {"changed": changed, "silent": silent, "gone": gone, "renamed": renamed,
                  "touched": touched, "new": new_id}


def customers(rng: random.Random, shop: Shop) -> list[dict]:
    rows = []
    for i, (name, city) in enumerate(CUSTOMERS):
        first, last = name.lower().split()
        rows.append({"customer_id": shop.first_customer_id + i, "full_name": name,
                     "email": f"{first}.{last}@example.com", "city": city, "loyalty_tier": rng.choice(TIERS)})
    return rows


def customers_tomorrow(rng: random.Random, extra: random.Random, today: list[dict], shop: Shop) -> list[dict]:
    """Two customers move, one is upgraded, one changes email, one has their name fixed (not a
    check column), one leaves, one signs up."""
    ids = rng.sample([row["customer_id"] for row in today], 5)
    moved, upgraded, new_email, gone = ids[:2], ids[2], ids[3], ids[4]
    name_fixed = extra.choice([row["customer_id"] for row in today if row["customer_id"] not in ids])
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
        if row["customer_id"] == name_fixed:
            first, last = row["full_name"].split()
            row["full_name"] = f"{first} {extra.choice('BDJKMRT')}. {last}"  # the middle initial was missing
        rows.append(row)
    name, city = NEW_CUSTOMER
    first, last = name.lower().split()
    rows.append({"customer_id": shop.first_customer_id + len(CUSTOMERS), "full_name": name,
                 "email": f"{first}.{last}@example.com", "city": city, "loyalty_tier": "bronze"})
    return rows


def _order_rows(rng: random.Random, placed: list[tuple[datetime, int]], first_id: int,
                customer_ids: list[int]) -> list[dict]:
    return [{"order_id": first_id + i, "customer_id": rng.choice(customer_ids), "product_id": product_id,
             "quantity": rng.choice([1, 1, 1, 2, 2, 3]), "ordered_at": _ts(at)}
            for i, (at, product_id) in enumerate(sorted(placed))]


def _merged(rows: list[dict], more: list[dict], first_id: int) -> list[dict]:
    """Both lists of orders in the order they were placed, numbered from first_id."""
    merged = sorted(rows + more, key=lambda row: row["ordered_at"])
    return [{**row, "order_id": first_id + i} for i, row in enumerate(merged)]


def _before_the_catalog_job(later: random.Random, start: datetime) -> datetime:
    """05:xx on the day a version starts at 06:xx: the order belongs to the version before (or
    to no known price), which a window on dates instead of timestamps gets wrong."""
    return start.replace(hour=5, minute=later.randint(0, 59))


def orders(rng: random.Random, later: random.Random, today: list[dict], repriced: set[int],
           shop: Shop) -> list[dict]:
    """Orders of the quarter. Each product repriced during it is ordered before the change (no
    known price), earlier on the day of the change, at the very second of the change, and after
    it."""
    changes = {row["product_id"]: datetime.strptime(row["updated_at"], "%Y-%m-%d %H:%M:%S") for row in today}
    placed = []
    for product_id in sorted(repriced):
        day = shop.quarter_start + timedelta(days=rng.randint(0, 5))
        placed.append((day.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59)), product_id))
        placed.append((changes[product_id], product_id))
        after = changes[product_id] + timedelta(days=rng.randint(1, 20), hours=rng.randint(2, 14))
        placed.append((after, product_id))
    while len(placed) < N_ORDERS:
        day = shop.quarter_start + timedelta(days=rng.randint(0, QUARTER_DAYS - 1))
        placed.append((day.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59)),
                       rng.choice([row["product_id"] for row in today])))
    customer_ids = [shop.first_customer_id + i for i in range(len(CUSTOMERS))]
    early = [(_before_the_catalog_job(later, changes[product_id]), product_id) for product_id in sorted(repriced)]
    return _merged(_order_rows(rng, placed, 0, customer_ids), _order_rows(later, early, 0, customer_ids),
                   shop.first_order_id)


def recategorise(later: random.Random, tomorrow: list[dict], order_rows: list[dict], changes: dict,
                 shop: Shop) -> None:
    """One product that was ordered this quarter moves to another category tomorrow: its past
    orders keep the category of the version they were placed in, not today's."""
    taken = {*changes["changed"], changes["silent"], changes["gone"], changes["renamed"], changes["touched"]}
    ordered = sorted({int(row["product_id"]) for row in order_rows} - taken)
    moved = later.choice(ordered)
    for row in tomorrow:
        if row["product_id"] == moved:
            row["category"] = later.choice(sorted({c for _, c, _ in PRODUCTS} - {row["category"]}))
            row["updated_at"] = _ts(shop.tomorrow)
    changes["recategorised"] = moved


def orders_tomorrow(extra: random.Random, later: random.Random, today: list[dict], changes: dict,
                    shop: Shop) -> list[dict]:
    """The day after's new orders: one earlier that day, before the repricing (the old price),
    one at its very second, then a few more of the repriced, new and silently repriced products
    (fewer than all four categories)."""
    first_changed = sorted(changes["changed"])[0]
    at = shop.tomorrow
    placed = [(at, first_changed),
              (at + timedelta(hours=2, minutes=extra.randint(0, 59)), first_changed),
              (at + timedelta(hours=4, minutes=extra.randint(0, 59)), changes["new"]),
              (at + timedelta(hours=6, minutes=extra.randint(0, 59)), changes["silent"])]
    customer_ids = sorted({row["customer_id"] for row in today}) + [shop.first_customer_id + len(CUSTOMERS)]
    early = [(_before_the_catalog_job(later, at), first_changed)]
    return _merged(_order_rows(extra, placed, 0, customer_ids), _order_rows(later, early, 0, customer_ids),
                   today[-1]["order_id"] + 1)


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, shop: Shop = MAIN, next_dir: Path | None = None) -> None:
    """Write the five raw_*.csv files into out_dir, and the second state into next_dir
    (out_dir + "_next" unless given)."""
    rng = random.Random(shop.rng_seed)
    extra = random.Random(shop.rng_seed + 1_000_003)  # draws added later, so the others stay put
    later = random.Random(shop.rng_seed + 2_000_003)  # and the edge cases added after those
    next_dir = next_dir or out_dir.with_name(out_dir.name + "_next")
    for folder in (out_dir, next_dir):
        folder.mkdir(parents=True, exist_ok=True)
    product_rows, repriced = products(rng, shop)
    customer_rows = customers(rng, shop)
    product_next, changes = products_tomorrow(rng, extra, product_rows, shop)
    customer_next = customers_tomorrow(rng, extra, customer_rows, shop)
    order_rows = orders(rng, later, product_rows, repriced, shop)
    recategorise(later, product_next, order_rows, changes, shop)
    write(out_dir / "raw_products.csv", product_rows)
    write(out_dir / "raw_products_tomorrow.csv", product_next)
    write(out_dir / "raw_customers.csv", customer_rows)
    write(out_dir / "raw_customers_tomorrow.csv", customer_next)
    write(out_dir / "raw_orders.csv", order_rows)
    write(next_dir / "raw_products.csv", product_next)
    write(next_dir / "raw_customers.csv", customer_next)
    write(next_dir / "raw_orders.csv", order_rows + orders_tomorrow(extra, later, order_rows, changes, shop))


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    generate(lesson_dir / "seeds", MAIN)
    generate(lesson_dir / "seeds_variant", VARIANT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one seed set here (and its second state in OUT_next)")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of the data")
    args = parser.parse_args()
    if args.out:
        generate(args.out, Shop(**{**MAIN.__dict__, "rng_seed": args.rng_seed}))
    else:
        generate_all()


if __name__ == "__main__":
    main()
