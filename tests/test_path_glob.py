"""A lesson's `editable` globs: `*` stays in one folder, only `**` crosses `/` (attack: a flat
glob must not open a file in a sub-folder the lesson never offered)."""

from __future__ import annotations

import dataclasses

import pytest

from decode_data.services.path_glob import glob_match


@pytest.mark.parametrize(
    "path, pattern, expected",
    [
        ("models/stg_orders.sql", "models/*.sql", True),
        ("models/secret/stg_orders.sql", "models/*.sql", False),  # fnmatch would say True
        ("models/../profiles.yml", "models/*.yml", False),
        ("models/staging/stg_orders.sql", "models/*/*.sql", True),
        ("models/a/b/c.sql", "models/**/*.sql", True),
        ("models/c.sql", "models/**/*.sql", True),
        ("models/a/b/c.sql", "models/**", True),
        ("models/stg_a.sql", "models/stg_?.sql", True),
        ("models/stg_/.sql", "models/stg_?.sql", False),
        ("models/x1.sql", "models/x[0-9].sql", True),
        ("models/x/.sql", "models/x[!a].sql", False),
        ("models/x.sql.bak", "models/*.sql", False),
        ("Models/x.sql", "models/*.sql", False),
        ("models/x.sql", "models/x.sql", True),
        ("models/x(1).sql", "models/x(1).sql", True),  # regex characters are literal
    ],
)
def test_glob_match(path, pattern, expected):
    assert glob_match(path, pattern) is expected


def test_a_lessons_flat_glob_does_not_open_sub_folders(lesson):
    flat = dataclasses.replace(lesson, editable=("models/*.sql",), steps=())
    assert flat.is_editable("models/orders.sql")
    assert not flat.is_editable("models/staging/stg_orders.sql")
    deep = dataclasses.replace(lesson, editable=("models/**/*.sql",), steps=())
    assert deep.is_editable("models/staging/stg_orders.sql")
