"""Regenerate the energy_smart seed CSVs: smart meters, their readings and the tariffs.

Run from the repository root:  python dbt_template/energy_smart/tools/generate_seeds.py
It writes three seed sets next to this folder, byte-for-byte the same on every run (fixed
random seeds, fixed dates):

    seeds/          what the learner works with
    seeds_variant/  same files and columns, other values (another random seed): the grader
                    re-runs every check on it, so a hard-coded answer fails
    seeds_bad/      seeds/ plus known bad rows, for the `tests_catch` check of the data-tests
                    step: a duplicated reading, a reading with no meter id, and a negative
                    register value (it becomes a negative consumption downstream)

`--rng-seed N --out DIR` writes one seed set elsewhere. This file lives in tools/, outside
seeds/, starter/ and solution/, because learner workspaces accept no .py files.

What is in the data, on purpose:
- 10 meters in 8 households (one home has an EV charger on its own meter, one a heat pump).
  Some meters count in Wh, others in kWh, with the unit spelled in mixed case; tariff codes
  are in mixed case too.
- A cumulative register read every 15 minutes for 3 days (~2,900 rows). Consumption is the
  difference between two readings, so a missing reading loses no energy, it only makes one
  interval longer: three meters have gaps (1, 4 and 10 readings missing).
- One meter is replaced on day 2: its register restarts from zero, so the naive difference
  goes hugely negative exactly once.
- Tariffs have time bands (night, day, peak ...) with a price in cents per kWh.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
RNG_SEED = 20240304
VARIANT_RNG_SEED = 7
START = datetime(2024, 3, 4)
DAYS = 3
STEP = timedelta(minutes=15)
READINGS_PER_METER = DAYS * 24 * 4

# meter_id, household_id, meter_type
METERS = [
    ("M01", "H01", "main"), ("M02", "H02", "main"), ("M03", "H02", "ev_charger"),
    ("M04", "H03", "main"), ("M05", "H04", "main"), ("M06", "H05", "main"),
    ("M07", "H05", "heat_pump"), ("M08", "H06", "main"), ("M09", "H07", "main"),
    ("M10", "H08", "main"),
]
# Unit spellings, shuffled over the meters: half count Wh, half kWh.
UNITS = ["Wh", "Wh", "wh", "Wh", "WH", "kWh", "kWh", "KWH", "kWh", "kwh"]
# tariff, band, start_hour (inclusive), end_hour (exclusive), price in cents per kWh
TARIFF_BANDS = [
    ("flat", "all_day", 0, 24, 28.50),
    ("time_of_use", "night", 0, 7, 15.20),
    ("time_of_use", "day", 7, 16, 26.40),
    ("time_of_use", "peak", 16, 20, 38.70),
    ("time_of_use", "evening", 20, 24, 26.40),
    ("ev_night", "night", 0, 5, 8.50),
    ("ev_night", "day", 5, 24, 30.90),
]
GAP_LENGTHS = (1, 4, 10)


def _messy_case(rng: random.Random, text: str) -> str:
    return rng.choice([text, text.upper(), text.title()])


def tariffs(rng: random.Random, variant: bool) -> list[dict]:
    rows = []
    for tariff, band, start, end, cents in TARIFF_BANDS:
        if variant:
            cents = round(cents * rng.uniform(0.8, 1.25), 2)
        rows.append({"tariff_code": tariff, "band": band, "start_hour": start, "end_hour": end,
                     "cents_per_kwh": f"{cents:.2f}"})
    return rows


def meters(rng: random.Random) -> list[dict]:
    units = UNITS[:]
    rng.shuffle(units)
    rows = []
    for (meter_id, household, kind), unit in zip(METERS, units):
        if kind == "ev_charger":
            tariff = "ev_night"
        elif kind == "heat_pump":
            tariff = "time_of_use"
        else:
            tariff = rng.choice(["flat", "time_of_use"])
        rows.append({"meter_id": meter_id, "household_id": household, "meter_type": kind,
                     "tariff": _messy_case(rng, tariff), "unit": unit})
    return rows


def _power_kw(rng: random.Random, kind: str, profile: dict, at: datetime) -> float:
    """Average power over the 15 minutes starting at `at`."""
    hour = at.hour + at.minute / 60
    if kind == "ev_charger":
        charging = at.day in profile["nights"] and 1 <= hour < profile["hours"] + 1
        return 7.2 if charging else 0.004
    if kind == "heat_pump":
        busy = 5 <= hour < 9 or 16 <= hour < 22
        return rng.uniform(0.9, 1.6) if busy else rng.uniform(0.2, 0.6)
    kw = profile["base"]
    if 7 <= hour < 9:
        kw += profile["morning"]
    if 17 <= hour < 22:
        kw += profile["evening"]
    return kw * rng.uniform(0.6, 1.4)


def readings(rng: random.Random, meter_rows: list[dict]) -> list[dict]:
    """15-minute cumulative register readings, with gaps and one meter reset."""
    mains = [m["meter_id"] for m in meter_rows if m["meter_type"] == "main"]
    reset_meter, *gap_meters = rng.sample(mains, 1 + len(GAP_LENGTHS))
    rows = []
    for meter in meter_rows:
        kind, meter_id = meter["meter_type"], meter["meter_id"]
        profile = {"base": rng.uniform(0.15, 0.45), "morning": rng.uniform(0.4, 1.5),
                   "evening": rng.uniform(0.8, 2.5), "nights": set(rng.sample([4, 5, 6], 2)),
                   "hours": rng.choice([2, 3, 4])}
        register_wh = rng.randint(1_000_000, 9_000_000)
        reset_at = rng.randint(110, 170) if meter_id == reset_meter else None
        missing: set[int] = set()
        if meter_id in gap_meters:
            length = GAP_LENGTHS[gap_meters.index(meter_id)]
            first = rng.randint(20, READINGS_PER_METER - length - 20)
            missing = set(range(first, first + length))
        for i in range(READINGS_PER_METER):
            at = START + i * STEP
            if i > 0:
                used_wh = round(_power_kw(rng, kind, profile, at - STEP) * 250)  # kW * 0.25 h, in Wh
                # A new meter starts at zero at the start of the interval: it shows only what was
                # used since.
                register_wh = used_wh if i == reset_at else register_wh + used_wh
            if i in missing:
                continue
            in_kwh = meter["unit"].lower() == "kwh"
            value = f"{register_wh / 1000:.3f}" if in_kwh else str(register_wh)
            rows.append({"meter_id": meter_id, "reading_at": at.strftime("%Y-%m-%d %H:%M:%S"),
                         "register_value": value})
    rows.sort(key=lambda r: (r["reading_at"], r["meter_id"]))  # as a real export: by time
    return rows


def bad_readings(rows: list[dict]) -> list[dict]:
    """The readings plus three known bad rows, each caught by a different data test."""
    rows = [dict(r) for r in rows]
    duplicate = next(r for r in rows if r["meter_id"] == "M01" and r["reading_at"].endswith("12:00:00"))
    rows.insert(rows.index(duplicate) + 1, dict(duplicate))  # the same reading delivered twice
    rows.append({"meter_id": "", "reading_at": "2024-03-05 08:00:00", "register_value": "4242"})
    glitch = [r for r in rows if r["meter_id"] == "M04"][150]
    glitch["register_value"] = "-" + glitch["register_value"].lstrip("-")  # a sign flipped in transit
    return rows


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, rng_seed: int = RNG_SEED, bad: bool = False) -> None:
    """Write meters.csv, readings.csv and tariffs.csv into out_dir."""
    rng = random.Random(rng_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    meter_rows = meters(rng)
    reading_rows = readings(rng, meter_rows)
    write(out_dir / "meters.csv", meter_rows)
    write(out_dir / "readings.csv", bad_readings(reading_rows) if bad else reading_rows)
    write(out_dir / "tariffs.csv", tariffs(rng, variant=rng_seed != RNG_SEED))


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    generate(lesson_dir / "seeds")
    generate(lesson_dir / "seeds_variant", VARIANT_RNG_SEED)
    generate(lesson_dir / "seeds_bad", bad=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one seed set here instead of all three")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of the data (with --out)")
    parser.add_argument("--bad", action="store_true", help="add the known bad rows (with --out)")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed, args.bad)
    else:
        generate_all()


if __name__ == "__main__":
    main()
