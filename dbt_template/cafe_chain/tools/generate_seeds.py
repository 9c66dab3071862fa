"""Regenerate the cafe_chain seed CSVs: two weeks of a small, deterministic café chain.

Run from the repository root:  python dbt_template/cafe_chain/tools/generate_seeds.py
It writes three seed sets next to this folder, byte-for-byte the same on every run:

  seeds/          what the learner works with (fixed random seed, fixed dates)
  seeds_variant/  same files and columns, other values: other ids, store names and cities,
                  another fortnight, other prices, another never-sold product. The grader
                  checks every step on it too, so a value typed in from seeds/ fails there
  seeds_bad/      seeds/ plus bad rows, one kind per test the tests step asks for, each kind in
                  its own number (see BAD_ORDERS and BAD_ORDER_LINES): `tests_match` checks
                  compare the learner's tests with the reference's outcome and failing-row
                  count there

`--rng-seed N --out DIR` writes one more clean set (the main set's shape) elsewhere. The script
lives in tools/, outside seeds/, starter/ and solution/, because workspaces accept no .py files
and never copy tools/.

The raw data is what a till system exports, and a little messy on purpose so that the staging
step has something to clean: raw column names (`id`, `qty`), prices in cents, categories and
statuses in mixed case, and order times as day-first text (`04/03/2024 08:15`) that the seed
loader keeps as VARCHAR; the fortnight crosses the 12th, so a month-first parse fails.
Edge cases kept on purpose, in every set, so each classic mistake changes a result:
  * voided orders have no order lines (an inner join loses them, a missing coalesce gives NULL);
  * the newest store opens after the data ends (no orders at all: inner join, count(*));
  * one seasonal product is on the menu but never sold (a WHERE after a left join drops it);
  * most orders have several lines and some quantities are 2 or 3 (a join fan-out, count of
    lines instead of sum of quantities); some orders ring the same product up twice on two
    lines (count(*) instead of count(distinct order_id) per product);
  * prices are not whole euros (integer division, rounding) and averages do not come out even;
  * the station café also sells at night: completed orders at 00:00 sharp on the first day,
    just before and just after midnight mid-fortnight, and at 23:59 on the last day, so a
    time-zone shift or a date cut at the wrong place moves them to another day;
  * on one day the quietest café rang up nothing but a refund (a missing status filter adds a
    store-day row).
In seeds_variant the menu went up on the sixth day: earlier lines were charged less than
raw_products says today, so revenue from the menu price instead of the line's own is wrong.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
N_ORDERS = 200
N_DAYS = 14
TIME_FORMAT = "%d/%m/%Y %H:%M"  # how the till writes times: text, day first


PRICE_RISE = 20  # cents per item, see Flavour.price_rise_day


@dataclass(frozen=True)
class Flavour:
    """Everything a learner could type in, per seed set."""

    rng_seed: int
    first_day: date  # a Monday; the data covers N_DAYS days from it
    stores: tuple  # (id, name, city, opened_on, share of the orders); share 0 = opens after the data
    product_ids: tuple  # one id per PRODUCTS entry
    never_sold: str  # the seasonal product nobody bought
    first_order_id: int
    first_line_id: int
    night_store: int  # the store id that also sells at night
    quiet_store: int  # the store id with a day of nothing but one refund (QUIET_DAY)
    # The menu went up on this day of the data: earlier lines were charged PRICE_RISE cents less
    # than raw_products says today, so revenue from the menu price is wrong (0: no rise).
    price_rise_day: int = 0


MAIN = Flavour(
    rng_seed=20240304,
    first_day=date(2024, 3, 4),  # 4 to 17 March 2024
    stores=(
        (1, "Bean There Old Town", "Amsterdam", "2019-04-12", 4),
        (2, "Bean There Central Station", "Utrecht", "2020-09-01", 3),
        (3, "Bean There Harbour", "Rotterdam", "2021-06-15", 2),
        (4, "Bean There Campus", "Leiden", "2022-10-03", 1),
        (5, "Bean There Riverside", "Haarlem", "2024-04-02", 0),  # opens after the data ends
    ),
    product_ids=tuple(range(1, 22)),
    never_sold="Pumpkin spice latte",
    first_order_id=1,
    first_line_id=1,
    night_store=2,
    quiet_store=4,
)
VARIANT = Flavour(
    rng_seed=77,
    first_day=date(2024, 9, 9),  # 9 to 22 September 2024
    stores=(
        (12, "Bean There Museum Quarter", "The Hague", "2018-11-20", 4),
        (17, "Bean There Airport", "Eindhoven", "2021-02-08", 3),
        (23, "Bean There Market Square", "Groningen", "2020-05-30", 2),
        (31, "Bean There Science Park", "Delft", "2023-01-16", 1),
        (40, "Bean There Canal Side", "Zwolle", "2024-10-14", 0),  # opens after the data ends
    ),
    product_ids=tuple(range(101, 122)),
    never_sold="Gingerbread latte",
    first_order_id=3001,
    first_line_id=70001,
    night_store=17,
    quiet_store=31,
    price_rise_day=5,
)

PRODUCTS = [  # name, category, list price in cents
    ("Espresso", "coffee", 250), ("Americano", "coffee", 300), ("Cappuccino", "coffee", 360),
    ("Flat white", "coffee", 380), ("Latte", "coffee", 390), ("Mocha", "coffee", 420),
    ("Cold brew", "coffee", 400), ("Green tea", "tea", 280), ("Earl grey", "tea", 270),
    ("Chai latte", "tea", 400), ("Croissant", "bakery", 280), ("Pain au chocolat", "bakery", 310),
    ("Cinnamon bun", "bakery", 350), ("Banana bread", "bakery", 330),
    ("Blueberry muffin", "bakery", 320), ("Avocado toast", "kitchen", 850),
    ("Ham and cheese toastie", "kitchen", 690), ("Granola bowl", "kitchen", 620),
    ("Fresh orange juice", "cold drinks", 450), ("Sparkling water", "cold drinks", 220),
    ("Seasonal latte", "seasonal", 480),  # named per seed set (Flavour.never_sold): never sold
]
STATUSES = ["completed"] * 22 + ["refunded", "refunded", "voided", "voided"]
LINES_PER_ORDER = ([1, 2, 3, 4, 5], [2, 3, 3, 2, 1])  # choices, weights
QUANTITY = ([1, 2, 3], [8, 2, 1])
REPEAT_LINE = 0.08  # chance that an order rings one of its products up again, on a second line
# (day offset, time) of the night orders of the station café; day -1 = the last day
NIGHT_ORDERS = [(0, time(0, 0)), (5, time(23, 47)), (6, time(0, 14)), (9, time(23, 31)), (-1, time(23, 59))]
QUIET_DAY = (6, time(12, 5))  # the quiet store sells nothing that day: one refund is all it rings up

# seeds_bad/ = seeds/ plus these rows. Each kind trips one generic test the tests step asks for,
# and no two kinds come in the same number, so `tests_match` (same test, same outcome, same
# number of failing rows as the reference) catches a test that only warns (severity), filters
# the bad rows away (where), allows a bad value or points at the wrong model.
BAD_ORDERS = [
    # unique on stg_orders.order_id and fct_orders.order_id: 1 value (order 17 exported twice)
    {"id": 17, "store_id": 2, "ordered_at": "17/03/2024 18:55", "status": "completed"},
    # not_null on stg_orders.order_id and fct_orders.order_id: 1 row
    {"id": "", "store_id": 1, "ordered_at": "17/03/2024 18:58", "status": "completed"},
    # not_null on stg_orders.store_id: 2 rows, one of them a refund (a `where` on completed
    # orders finds only 1)
    {"id": 201, "store_id": "", "ordered_at": "17/03/2024 19:05", "status": "completed"},
    {"id": 202, "store_id": "", "ordered_at": "17/03/2024 19:06", "status": "Refunded"},
    # relationships stg_orders.store_id -> stg_stores.store_id: 3 rows (stores 9 and 8 do not exist)
    {"id": 203, "store_id": 9, "ordered_at": "17/03/2024 19:07", "status": "completed"},
    {"id": 204, "store_id": 9, "ordered_at": "17/03/2024 19:08", "status": "Completed"},
    {"id": 205, "store_id": 8, "ordered_at": "17/03/2024 19:09", "status": "COMPLETED"},
    # accepted_values on stg_orders.status: 2 values ('pending' and 'on hold', after lower())
    {"id": 206, "store_id": 1, "ordered_at": "17/03/2024 19:10", "status": "Pending"},
    {"id": 207, "store_id": 3, "ordered_at": "17/03/2024 19:12", "status": "on hold"},
    {"id": 208, "store_id": 4, "ordered_at": "17/03/2024 19:14", "status": "ON HOLD"},
]
BAD_ORDER_LINES = [  # relationships stg_order_lines.product_id -> stg_products: 4 lines
    {"order_id": 5, "product_id": 99, "qty": 1, "unit_price_cents": 500},
    {"order_id": 6, "product_id": 99, "qty": 2, "unit_price_cents": 500},
    {"order_id": 7, "product_id": 98, "qty": 1, "unit_price_cents": 450},
    {"order_id": 8, "product_id": 0, "qty": 1, "unit_price_cents": 300},
]


def _messy_case(rng: random.Random, text: str) -> str:
    """Return text as typed by a hurried human: lower, Title or UPPER case."""
    return rng.choice([text, text.title(), text.upper()])


def stores(rng: random.Random, flavour: Flavour) -> list[dict]:
    rows = []
    for i, name, city, opened, share in flavour.stores:
        day = date.fromisoformat(opened)
        if share:  # an open store: a different opening day per seed set; the newest stays put
            day += timedelta(days=rng.randint(-60, 60))
        rows.append({"id": i, "name": name, "city": city, "opened_on": day.isoformat()})
    return rows


def products(rng: random.Random, flavour: Flavour) -> list[dict]:
    rows = []
    for i, (name, category, cents) in zip(flavour.product_ids, PRODUCTS):
        rows.append({
            "id": i,
            "name": flavour.never_sold if category == "seasonal" else name,
            "category": _messy_case(rng, category),
            "price_cents": cents + rng.choice([-20, -10, 0, 0, 0, 10, 20]),
        })
    return rows


def orders(rng: random.Random, flavour: Flavour) -> list[dict]:
    """N_ORDERS orders over N_DAYS days, ids in time order: most between 07:00 and 19:00, a few
    at night at the station café (NIGHT_ORDERS, all completed), and on QUIET_DAY nothing at the
    quiet store but one refund."""
    store_ids = [s[0] for s in flavour.stores if s[4]]
    weights = [s[4] for s in flavour.stores if s[4]]
    quiet_day = flavour.first_day + timedelta(days=QUIET_DAY[0])
    times = []
    while len(times) < N_ORDERS - len(NIGHT_ORDERS) - 1:
        day = flavour.first_day + timedelta(days=rng.randrange(N_DAYS))
        at = datetime(day.year, day.month, day.day, 7) + timedelta(minutes=rng.randrange(12 * 60))
        store, status = rng.choices(store_ids, weights)[0], rng.choice(STATUSES)
        if not (store == flavour.quiet_store and day == quiet_day):
            times.append((at, store, status))
    for offset, clock in NIGHT_ORDERS:
        day = flavour.first_day + timedelta(days=offset % N_DAYS)
        times.append((datetime.combine(day, clock), flavour.night_store, "completed"))
    times.append((datetime.combine(quiet_day, QUIET_DAY[1]), flavour.quiet_store, "refunded"))
    times.sort(key=lambda t: t[0])
    return [{"id": i, "store_id": store, "ordered_at": at.strftime(TIME_FORMAT),
             "status": _messy_case(rng, status)}
            for i, (at, store, status) in enumerate(times, start=flavour.first_order_id)]


def order_lines(rng: random.Random, order_rows: list[dict], product_rows: list[dict],
                flavour: Flavour) -> list[dict]:
    """1-5 different products per order, sometimes one of them rung up again on a second line;
    voided orders were cancelled at the till: no lines."""
    sellable = [p for p in product_rows if p["name"] != flavour.never_sold]
    rows = []
    for order in order_rows:
        if order["status"].lower() == "voided":
            continue
        day = datetime.strptime(order["ordered_at"], TIME_FORMAT).date()
        before_rise = (day - flavour.first_day).days < flavour.price_rise_day
        picked = rng.sample(sellable, rng.choices(*LINES_PER_ORDER)[0])
        if rng.random() < REPEAT_LINE:
            picked.append(picked[0])
        for product in picked:
            rows.append({
                "id": flavour.first_line_id + len(rows),
                "order_id": order["id"],
                "product_id": product["id"],
                "qty": rng.choices(*QUANTITY)[0],
                "unit_price_cents": product["price_cents"] - (PRICE_RISE if before_rise else 0),
            })
    return rows


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def tables(flavour: Flavour) -> dict[str, list[dict]]:
    rng = random.Random(flavour.rng_seed)
    store_rows = stores(rng, flavour)
    product_rows = products(rng, flavour)
    order_rows = orders(rng, flavour)
    return {
        "raw_stores": store_rows,
        "raw_products": product_rows,
        "raw_orders": order_rows,
        "raw_order_lines": order_lines(rng, order_rows, product_rows, flavour),
    }


def with_bad_rows(clean: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """seeds/ plus BAD_ORDERS and BAD_ORDER_LINES at the end (the lines get the next free ids)."""
    bad = {name: list(rows) for name, rows in clean.items()}
    bad["raw_orders"] += BAD_ORDERS
    next_id = max(int(row["id"]) for row in clean["raw_order_lines"]) + 1
    bad["raw_order_lines"] += [{"id": next_id + i, **row} for i, row in enumerate(BAD_ORDER_LINES)]
    return bad


def write_set(out_dir: Path, data: dict[str, list[dict]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in data.items():
        write(out_dir / f"{name}.csv", rows)


def generate(out_dir: Path = LESSON_DIR / "seeds", rng_seed: int = MAIN.rng_seed) -> None:
    """Write the four raw_*.csv files of one clean seed set (the main set's shape) into out_dir."""
    write_set(out_dir, tables(Flavour(**{**MAIN.__dict__, "rng_seed": rng_seed})))


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    """Write seeds/, seeds_variant/ and seeds_bad/ under lesson_dir."""
    clean = tables(MAIN)
    write_set(lesson_dir / "seeds", clean)
    write_set(lesson_dir / "seeds_variant", tables(VARIANT))
    write_set(lesson_dir / "seeds_bad", with_bad_rows(clean))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one clean seed set here instead of all three")
    parser.add_argument("--rng-seed", type=int, default=MAIN.rng_seed, help="random seed of that set")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed)
    else:
        generate_all()


if __name__ == "__main__":
    main()
