"""Regenerate the energy_smart seed CSVs: smart meters, their readings and the tariffs.

Run from the repository root:  python dbt_template/energy_smart/tools/generate_seeds.py
It writes every seed set next to this folder, byte-for-byte the same on every run (fixed
random seeds, fixed dates):

    seeds/                what the learner works with: 3 days of readings
    seeds_next/           the next export of the same meters (readings.csv only): the vendor's
                          file is a rolling 72-hour window, so the oldest half hour dropped out
                          and the next half hour arrived. The grader builds on seeds/, replaces
                          the files with these and builds again: the incremental model then runs
                          its incremental branch, and must recompute the hour it stopped at.
    seeds_variant/        the same shape with other values everywhere a learner could type one
    seeds_variant_next/   in (meter and household ids, dates, tariff codes, band hours, prices,
                          units, readings, 4 days instead of 3, a next export 3.5 hours on
                          instead of half an hour, a gap across the last hour): the grader
                          re-runs every check on them, so a hard-coded answer fails
    seeds_unknown_meter/  seeds/ plus two readings of a meter missing from meters.csv: a left
                          join keeps them, an inner join drops them (steps 2 and 5); only the
                          relationships test (and not_null on the consumption) catches them
    seeds_bad/            seeds/ plus known bad rows for the key tests of step 7: a reading
                          delivered twice, a reading without a meter id, a meter listed twice
                          and a meter without an id
    seeds_bad_negative/   seeds/ with one flipped sign: only the not_negative tests catch it

`--rng-seed N --out DIR` writes one seed set elsewhere. This file lives in tools/, outside
seeds/, starter/ and solution/, because learner workspaces accept no .py files.

What is in the data, on purpose:
- 10 meters in 8 households (one home has an EV charger on its own meter, one a heat pump).
  Some meters count in Wh, others in kWh, with the unit spelled in mixed case; tariff codes
  are in mixed case too, two of them with a stray space.
- A cumulative register read every 15 minutes for 3 days (~2,900 rows). Consumption is the
  difference between two readings, so a missing reading loses no energy, it only makes one
  interval longer: three meters have gaps (1, 4 and 10 readings missing).
- One meter is replaced on day 2: its register restarts from zero, so the naive difference
  goes hugely negative exactly once.
- The EV charger draws nothing when no car is plugged in: many intervals use exactly 0 kWh
  (zero is not negative: a `<= 0` test would fail on good data).
- Tariffs have time bands (night, day, peak ...) with a price in cents per kWh.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

LESSON_DIR = Path(__file__).resolve().parent.parent
RNG_SEED = 20240304
VARIANT_RNG_SEED = 7
NEXT_RNG_OFFSET = 1000  # the readings of the next export draw from their own generator
STEP = timedelta(minutes=15)
# The next export: a rolling window that moved on (in the main set by half an hour: 2 readings
# out, 2 in). The new 00:00 reading completes the last hour of the first export (23:45 -> 00:00
# starts at 23:45): an incremental run must recompute that hour in full (`>=`), and must not
# recompute the first hour, whose first readings are gone.

# meter kind per meter, in order; the ids and households come from the Look
KINDS = ["main", "main", "ev_charger", "main", "main", "main", "heat_pump", "main", "main", "main"]
# Unit spellings, shuffled over the meters: half count Wh, half kWh.
UNITS = ["Wh", "Wh", "wh", "Wh", "WH", "kWh", "kWh", "KWH", "kWh", "kwh"]
GAP_LENGTHS = (1, 4, 10)
STRAY_SPACES = {3: "{} ", 7: " {}"}  # meter index -> how its tariff code is padded


@dataclass(frozen=True)
class Look:
    """Every value a learner could type in: the variant changes all of them."""

    start: datetime
    meter_ids: tuple[str, ...]
    household_ids: tuple[str, ...]  # per meter
    tariff_codes: dict  # kind of tariff -> its code
    # tariff kind, band, start_hour (inclusive), end_hour (exclusive), price in cents per kWh
    bands: tuple[tuple, ...]
    days: int = 3  # how many days the first export holds
    next_shift: int = 2  # readings the next export moved on by
    # A meter read late at 22:52 and not at 23:00 on the first export's last day: its 22:52
    # interval ends at 23:15, inside the hour an incremental run recomputes, yet belongs to the
    # hour before (a filter on interval_end, or `> max(hour_start) - interval 15 minute`,
    # recomputes that hour from one interval).
    late_gap: bool = False

    @property
    def readings_per_meter(self) -> int:
        return self.days * 24 * 4


MAIN = Look(
    start=datetime(2024, 3, 4),
    meter_ids=tuple(f"M{n:02d}" for n in range(1, 11)),
    household_ids=("H01", "H02", "H02", "H03", "H04", "H05", "H05", "H06", "H07", "H08"),
    tariff_codes={"flat": "flat", "time_of_use": "time_of_use", "ev_night": "ev_night"},
    bands=(
        ("flat", "all_day", 0, 24, 28.50),
        ("time_of_use", "night", 0, 7, 15.20),
        ("time_of_use", "day", 7, 16, 26.40),
        ("time_of_use", "peak", 16, 20, 38.70),
        ("time_of_use", "evening", 20, 24, 26.40),
        ("ev_night", "night", 0, 5, 8.50),
        ("ev_night", "day", 5, 24, 30.90),
    ),
)
VARIANT = Look(
    start=datetime(2024, 5, 13),
    meter_ids=tuple(f"M{n}" for n in range(31, 41)),
    household_ids=("H21", "H22", "H22", "H23", "H24", "H25", "H25", "H26", "H27", "H28"),
    tariff_codes={"flat": "standard", "time_of_use": "peak_saver", "ev_night": "ev_overnight"},
    bands=(
        ("flat", "all_day", 0, 24, 28.50),
        ("time_of_use", "night", 0, 6, 15.20),
        ("time_of_use", "day", 6, 17, 26.40),
        ("time_of_use", "peak", 17, 21, 38.70),
        ("time_of_use", "evening", 21, 24, 26.40),
        ("ev_night", "night", 0, 4, 8.50),
        ("ev_night", "day", 4, 24, 30.90),
    ),
    # Another span and a next export several hours on: a lookback typed from the main set's
    # three days or half hour (`min(hour_start) + interval 71 hour`, `max(...) - interval 1 hour`
    # of the source, a batch capped at two hours, a first build of the last three days) fails.
    days=4,
    next_shift=14,
    late_gap=True,
)


def _messy_case(rng: random.Random, text: str) -> str:
    return rng.choice([text, text.upper(), text.title()])


def tariffs(rng: random.Random, look: Look, variant: bool) -> list[dict]:
    rows = []
    for kind, band, start, end, cents in look.bands:
        if variant:
            cents = round(cents * rng.uniform(0.8, 1.25), 2)
        rows.append({"tariff_code": look.tariff_codes[kind], "band": band, "start_hour": start,
                     "end_hour": end, "cents_per_kwh": f"{cents:.2f}"})
    return rows


def meters(rng: random.Random, look: Look) -> list[dict]:
    units = UNITS[:]
    rng.shuffle(units)
    rows = []
    for index, (kind, unit) in enumerate(zip(KINDS, units)):
        if kind == "ev_charger":
            tariff = "ev_night"
        elif kind == "heat_pump":
            tariff = "time_of_use"
        else:
            tariff = rng.choice(["flat", "time_of_use"])
        code = STRAY_SPACES.get(index, "{}").format(_messy_case(rng, look.tariff_codes[tariff]))
        rows.append({"meter_id": look.meter_ids[index], "household_id": look.household_ids[index],
                     "meter_type": kind, "tariff": code, "unit": unit})
    return rows


def _power_kw(rng: random.Random, kind: str, profile: dict, at: datetime, day: int) -> float:
    """Average power over the 15 minutes starting at `at` (`day`: 0 for the first day)."""
    hour = at.hour + at.minute / 60
    if kind == "ev_charger":
        charging = day in profile["nights"] and 1 <= hour < profile["hours"] + 1
        return 7.2 if charging else 0.0  # no car plugged in: the charger draws nothing
    if kind == "heat_pump":
        busy = 5 <= hour < 9 or 16 <= hour < 22
        return rng.uniform(0.9, 1.6) if busy else rng.uniform(0.2, 0.6)
    kw = profile["base"]
    if 7 <= hour < 9:
        kw += profile["morning"]
    if 17 <= hour < 22:
        kw += profile["evening"]
    return kw * rng.uniform(0.6, 1.4)


def readings(rng: random.Random, meter_rows: list[dict], look: Look,
             next_rng: random.Random) -> tuple[list[dict], list[dict]]:
    """15-minute cumulative register readings, with gaps and one meter reset: the first export
    and the next one (the same series, moved on by look.next_shift readings)."""
    mains = [m["meter_id"] for m in meter_rows if m["meter_type"] == "main"]
    reset_meter, *gap_meters = rng.sample(mains, 1 + len(GAP_LENGTHS))
    last = look.readings_per_meter
    first, after = [], []
    for meter in meter_rows:
        kind, meter_id = meter["meter_type"], meter["meter_id"]
        profile = {"base": rng.uniform(0.15, 0.45), "morning": rng.uniform(0.4, 1.5),
                   "evening": rng.uniform(0.8, 2.5), "nights": set(rng.sample([0, 1, 2], 2)),
                   "hours": rng.choice([2, 3, 4])}
        register_wh = rng.randint(1_000_000, 9_000_000)
        reset_at = rng.randint(110, 170) if meter_id == reset_meter else None
        missing: set[int] = set()
        late: dict[int, timedelta] = {}
        if meter_id in gap_meters:
            length = GAP_LENGTHS[gap_meters.index(meter_id)]
            start = rng.randint(20, last - length - 20)
            missing = set(range(start, start + length))
        if look.late_gap and meter_id == reset_meter:
            late[last - 5] = timedelta(minutes=7)  # 22:45 read at 22:52
            missing.add(last - 4)  # no 23:00 reading
        for i in range(last + look.next_shift):
            at = look.start + i * STEP
            if i > 0:
                # The next export's new readings draw from their own generator, so the first
                # export's values do not depend on how far the next one reaches.
                source = rng if i < last else next_rng
                before = at - STEP
                kw = _power_kw(source, kind, profile, before, (before - look.start).days)
                used_wh = round(kw * 250)  # kW * 0.25 h, in Wh
                # A new meter starts at zero at the start of the interval: it shows only what was
                # used since.
                register_wh = used_wh if i == reset_at else register_wh + used_wh
            if i in missing:
                continue
            in_kwh = meter["unit"].lower() == "kwh"
            value = f"{register_wh / 1000:.3f}" if in_kwh else str(register_wh)
            row = {"meter_id": meter_id, "reading_at": (at + late.get(i, timedelta())).strftime("%Y-%m-%d %H:%M:%S"),
                   "register_value": value}
            if i < last:
                first.append(row)
            if i >= look.next_shift:
                after.append(row)
    for rows in (first, after):
        rows.sort(key=lambda r: (r["reading_at"], r["meter_id"]))  # as a real export: by time
    return first, after


def unknown_meter_readings(rows: list[dict]) -> list[dict]:
    """Two readings of a meter that is not in meters.csv yet (installed, not registered)."""
    noon = rows[len(rows) // 2]["reading_at"][:10] + " 12:00:00"
    extra = [{"meter_id": "M99", "reading_at": noon, "register_value": "5120"},
             {"meter_id": "M99", "reading_at": noon[:11] + "12:15:00", "register_value": "5188"}]
    return sorted([dict(r) for r in rows] + extra, key=lambda r: (r["reading_at"], r["meter_id"]))


def bad_readings(rows: list[dict]) -> list[dict]:
    """The readings plus a duplicate delivery and a reading without a meter id: only the tests
    on reading_id and meter_id (unique, not_null) catch them."""
    rows = [dict(r) for r in rows]
    duplicate = next(r for r in rows if r["meter_id"] == "M01" and r["reading_at"].endswith("12:00:00"))
    rows.insert(rows.index(duplicate) + 1, dict(duplicate))  # the same reading delivered twice
    rows.append({"meter_id": "", "reading_at": "2024-03-05 08:00:00", "register_value": "4242"})
    return rows


def negative_readings(rows: list[dict]) -> list[dict]:
    """The readings with one sign flipped in transit: a negative register, and downstream a
    negative consumption. Only the not_negative tests catch it."""
    rows = [dict(r) for r in rows]
    glitch = [r for r in rows if r["meter_id"] == "M04"][150]
    glitch["register_value"] = "-" + glitch["register_value"].lstrip("-")
    return rows


def bad_meters(rows: list[dict]) -> list[dict]:
    """The meters plus a meter without an id and a new meter listed twice (no readings yet)."""
    new = {"meter_id": "M11", "household_id": "H09", "meter_type": "main", "tariff": "flat", "unit": "kWh"}
    nameless = {**new, "meter_id": "", "household_id": "H10"}
    return [dict(r) for r in rows] + [new, dict(new), nameless]


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, rng_seed: int = RNG_SEED, bad: bool = False, state: str = "first",
             unknown_meter: bool = False, negative: bool = False) -> None:
    """Write meters.csv, readings.csv and tariffs.csv into out_dir; state "next" writes only
    readings.csv, the next export."""
    variant = rng_seed != RNG_SEED
    look = VARIANT if variant else MAIN
    rng = random.Random(rng_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    meter_rows = meters(rng, look)
    first, after = readings(rng, meter_rows, look, random.Random(rng_seed + NEXT_RNG_OFFSET))
    tariff_rows = tariffs(rng, look, variant)
    if state == "next":
        write(out_dir / "readings.csv", after)
        return
    if unknown_meter:
        first = unknown_meter_readings(first)
    if negative:
        first = negative_readings(first)
    write(out_dir / "meters.csv", bad_meters(meter_rows) if bad else meter_rows)
    write(out_dir / "readings.csv", bad_readings(first) if bad else first)
    write(out_dir / "tariffs.csv", tariff_rows)


def generate_all(lesson_dir: Path = LESSON_DIR) -> None:
    generate(lesson_dir / "seeds")
    generate(lesson_dir / "seeds_next", state="next")
    generate(lesson_dir / "seeds_variant", VARIANT_RNG_SEED)
    generate(lesson_dir / "seeds_variant_next", VARIANT_RNG_SEED, state="next")
    generate(lesson_dir / "seeds_unknown_meter", unknown_meter=True)
    generate(lesson_dir / "seeds_bad", bad=True)
    generate(lesson_dir / "seeds_bad_negative", negative=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write one seed set here instead of all of them")
    parser.add_argument("--rng-seed", type=int, default=RNG_SEED, help="random seed of the data (with --out)")
    parser.add_argument("--bad", action="store_true", help="add the known bad rows (with --out)")
    parser.add_argument("--next", action="store_true", help="write the next export's readings (with --out)")
    args = parser.parse_args()
    if args.out:
        generate(args.out, args.rng_seed, args.bad, "next" if args.next else "first")
    else:
        generate_all()


if __name__ == "__main__":
    main()
