"""Choose the seeds_variant of an imported lesson: the boldest level of import_seeds on which
the reference still builds and passes every test it passes on the main seeds.

A hard-coded answer must fail on the variant, so the boldest level is tried first; the models
whose result the variant leaves unchanged are reported, since a typed-in answer passes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from decode_data.services.authoring.import_models import IDENTIFIER_RE, PASSING
from decode_data.services.authoring.import_reference import Reference, errors
from decode_data.services.authoring.import_seeds import LEVELS, write_variant
from decode_data.services.authoring.import_source import ImportFailed
from decode_data.services.authoring.import_steps import ModelInfo
from decode_data.services.grader.builds import Build

VARIANT_TEXT = {
    "full": "rows cloned under new keys, numbers scaled, dates shifted, text columns shuffled among rows",
    "no_shuffle": "rows cloned under new keys, numbers scaled, dates shifted (text columns kept)",
    "values": "numbers scaled and dates shifted (same rows)",
    "copy": "a COPY of seeds/ in another row order: a hard-coded answer passes the variant too",
}


@dataclass(frozen=True)
class Variant:
    level: str  # one of import_seeds.LEVELS
    folder: Path  # the variant's seed files
    same_on_variant: list[str]  # models with the same result on both seed sets
    warnings: list[str]  # the bolder levels that were given up, and why


def choose_variant(reference: Reference, seeds_dir: Path, main: Build, models: dict[str, ModelInfo]) -> Variant:
    passing = {
        n.unique_id for n in main.result.nodes if n.status in PASSING and n.resource_type in ("test", "unit_test")
    }
    warnings = []
    for level in LEVELS:
        folder = reference.scratch / f"variant_{level}"
        write_variant(seeds_dir, folder, level)
        made = reference.build(folder, "seeds_variant")
        broken = [n.name for n in made.result.nodes if n.unique_id in passing and n.status not in PASSING]
        if made.result.ok and not broken:
            if level != LEVELS[0]:
                warnings.append(f"seeds_variant is the milder '{level}' variant: {VARIANT_TEXT[level]}")
            return Variant(level, folder, unchanged_models(main, made, models), warnings)
        why = ", ".join(broken[:4]) if broken else errors(made).strip().splitlines()[0]
        warnings.append(f"the '{level}' seed variant breaks the project's tests ({why}): tried a milder one")
    raise ImportFailed("the reference solution does not build even on a reordered copy of its seeds:\n" + errors(made))


def unchanged_models(main: Build, variant: Build, models: dict[str, ModelInfo]) -> list[str]:
    """Models with the same rows on both seed sets, by a row-order-free fingerprint."""
    names = sorted(n for n, m in models.items() if m.materialized != "ephemeral" and IDENTIFIER_RE.match(n))
    if not names:
        return []
    sql = " union all ".join(
        f"select '{n}' as name, count(*) as n, sum(hash(t))::varchar as h from main.\"{n}\" as t" for n in names
    )
    ours, theirs = main.query(sql), variant.query(sql)
    if not (ours.ok and theirs.ok and ours.preview and theirs.preview):
        return []
    fingerprint = {str(r[0]): (r[1], r[2]) for r in theirs.preview.rows}
    return sorted(str(r[0]) for r in ours.preview.rows if fingerprint.get(str(r[0])) == (r[1], r[2]))
