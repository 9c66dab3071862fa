"""The diagnosis names the classic mistakes from the data alone, with the evidence."""

from __future__ import annotations

from decimal import Decimal

from decode_data.services.grader.compare import Table
from decode_data.services.grader.diagnose import diagnose, find_key
from decode_data.services.grader.shapes import describe_value

COLUMNS = ["customer_id", "status", "amount", "orders"]
ROWS = [
    [1, "completed", Decimal("12.50"), 2],
    [2, "placed", Decimal("3.99"), 1],
    [3, "completed", Decimal("7.25"), 0],
    [4, "returned", Decimal("20.00"), 3],
    [5, "placed", Decimal("1.10"), 0],
]


def _table(rows, columns=COLUMNS) -> Table:
    return Table(columns=list(columns), rows=[list(r) for r in rows])


def _with(column: str, change) -> Table:
    index = COLUMNS.index(column)
    return _table([r[:index] + [change(r[index])] + r[index + 1 :] for r in ROWS])


def test_case_is_named_with_an_example():
    found = diagnose(_table(ROWS), _with("status", str.upper))
    assert found.shapes == ["case"] and found.key == ["customer_id"]
    assert "status differs only in upper/lower case in 5 rows (expected 'completed', got 'COMPLETED')" in found.text
    assert found.examples["columns"] == ["row", "column", "expected", "got"]
    assert found.examples["rows"][0][:2] == ["customer_id 1", "status"]


def test_integer_division_rounding_and_scale():
    assert diagnose(_table(ROWS), _with("amount", lambda v: int(v))).shapes == ["integer_division"]
    assert diagnose(_table(ROWS), _with("amount", lambda v: round(v, 1))).shapes == ["rounding"]
    assert diagnose(_table(ROWS), _with("amount", lambda v: v * 100)).shapes == ["scale"]


def test_a_unit_converted_the_wrong_way_is_not_called_a_fan_out():
    """Wh for kWh is a factor of 1000; an expected value that was rounded moves the ratio a little."""
    found = diagnose(_table(ROWS), _with("amount", lambda v: v * 1000 + Decimal("0.4")))
    assert found.shapes == ["scale"] and "off by a factor of 1,000" in found.text and "Wh and kWh" in found.text
    assert "fan-out" not in found.text


def test_a_value_clamped_to_zero_is_not_called_lost_decimals():
    found = diagnose(_table(ROWS), _with("amount", lambda v: Decimal(0) if v < 5 else v))
    assert found.shapes == ["zeroed"] and "greatest(..., 0)" in found.text and "decimals" not in found.text


def test_null_where_a_value_is_expected_points_at_coalesce():
    found = diagnose(_table(ROWS), _with("orders", lambda v: None if v == 0 else v))
    assert found.shapes == ["null"] and "coalesce()" in found.text and "in 2 rows" in found.text


def test_an_inner_join_drops_the_unmatched_rows():
    found = diagnose(_table(ROWS), _table([r for r in ROWS if r[3] != 0]))
    assert "2 rows are missing from your result (customer_id 3, 5)" in found.text
    assert "inner_join" in found.shapes and "left join keeps them" in found.text


def test_a_fan_out_shows_the_duplicated_key():
    found = diagnose(_table(ROWS), _table(ROWS + [ROWS[0], ROWS[0]]))
    assert found.shapes[0] == "fan_out" and "customer_id 1 appears 3 times" in found.text


def test_a_snapshots_extra_version_points_at_its_config_not_at_a_join():
    found = diagnose(_table(ROWS), _table(ROWS + [ROWS[0]]), snapshot=True)
    assert found.shapes[0] == "fan_out" and "hard_deletes" in found.text and "join" not in found.text


def test_a_missing_filter_names_the_value_the_extra_rows_share():
    rows = ROWS + [[6, "returned", Decimal("4.00"), 1]]
    kept = [r for r in rows if r[1] != "returned"]
    found = diagnose(_table(kept), _table(rows))
    assert "missing_filter" in found.shapes and "status = 'returned'" in found.text


def test_a_boundary_slip_is_named():
    columns = ["reading_id", "read_at", "kwh"]
    rows = [
        [1, "2024-03-01 00:00:00", 1.5],
        [2, "2024-03-01 01:00:00", 2.0],
        [3, "2024-03-02 00:00:00", 0.5],
        [4, "2024-03-02 00:00:00", 0.7],
    ]
    found = diagnose(_table(rows, columns), _table(rows[:2], columns))
    assert "boundary" in found.shapes and "`>` against `>=`" in found.text


def test_no_boundary_advice_for_sql_without_a_comparison():
    """The same rows, from a model (and its parents) that compares nothing: `>` against `>=`
    would send the learner to a filter they never wrote."""
    columns = ["reading_id", "read_at", "kwh"]
    rows = [[1, "2024-03-01 00:00:00", 1.5], [2, "2024-03-01 01:00:00", 2.0], [3, "2024-03-02 00:00:00", 0.5]]
    asked = []
    found = diagnose(_table(rows, columns), _table(rows[:2], columns), ranges=lambda: asked.append(1) or False)
    assert "boundary" not in found.shapes and ">=" not in found.text and asked, found.text


def test_a_key_column_is_no_evidence_of_a_filter():
    """One store missing of five: its id is the highest, as one row's key always is some value;
    neither a boundary nor a filter on the key is suggested."""
    columns = ["store_id", "city", "opened_on"]
    rows = [[i, f"city{i}", f"2024-0{i}-01"] for i in range(1, 6)]
    found = diagnose(_table(rows, columns), _table(rows[:4], columns), key=["store_id"])
    assert "store_id = 5" not in found.text.split("missing")[-1], found.text


def test_extra_rows_with_nothing_joined_point_at_the_left_join():
    """Customers with no orders kept by a left join: every extra row counts 0 and no expected row
    does. That is the join, not a `>` against `>=` at the low end of the counts."""
    columns = ["customer_id", "number_of_orders"]
    expected = [[1, 2], [2, 1], [3, 4]]
    found = diagnose(_table(expected, columns), _table(expected + [[7, 0], [9, 0]], columns), key=["customer_id"])
    assert found.shapes == ["left_join"] and "which a left join keeps" in found.text, found.text
    assert ">=" not in found.text


def test_a_typed_in_constant_is_suspected():
    found = diagnose(_table(ROWS), _with("orders", lambda _v: 2))
    assert found.shapes == ["constant"] and "typed in" in found.text


def test_one_value_only_in_the_rows_that_differ_is_not_called_typed_in():
    """Counts one short where a filter lost an input row: the same wrong value in every row that
    differs, but the learner's column is computed (other rows hold other values)."""
    found = diagnose(_table(ROWS), _with("orders", lambda v: 1 if v >= 2 else v))
    assert found.shapes == ["values"] and "typed in" not in found.text, found.text
    assert "orders differs in 2 rows (expected 2, got 1)" in found.text


def test_hidden_data_is_described_not_shown():
    found = diagnose(_table(ROWS), _with("status", str.upper), show_values=False)
    assert found.examples is None and "upper/lower case" in found.text


def test_key_prefers_ids_and_falls_back_to_pairs():
    import pandas as pd

    assert find_key(pd.DataFrame({"name": ["a", "b"], "order_id": [1, 2]}, dtype=object)) == ["order_id"]
    pairs = pd.DataFrame({"day": ["d1", "d1", "d2"], "store": ["x", "y", "x"], "n": [1, 1, 1]}, dtype=object)
    assert find_key(pairs) == ["day", "store"]


def test_values_read_as_typed():
    assert [describe_value(v) for v in (1.0, 2.5, None, "x")] == ["1", "2.5", "NULL", "'x'"]


def test_right_value_wrong_type_is_named():
    assert diagnose(_table(ROWS), _with("amount", str)).shapes == ["type"]
    columns = ["id", "day"]
    want = _table([[1, "2024-03-01"], [2, "2024-03-02"]], columns)
    got = _table([[1, "2024-03-01 00:00:00"], [2, "2024-03-02 00:00:00"]], columns)
    assert "cast(... as date)" in diagnose(want, got).text


def test_values_of_the_hidden_set_are_never_quoted():
    found = diagnose(_table(ROWS), _with("orders", lambda _v: 2), show_values=False)
    assert found.shapes == ["constant"] and "2" not in found.text.replace("customer_id", "")


def test_sql_rounding_half_away_from_zero_is_recognised():
    rows = [[1, "a", 14.5, 1], [2, "b", 3.25, 1], [3, "c", 7.75, 1]]
    got = [[1, "a", 15.0, 1], [2, "b", 3.0, 1], [3, "c", 8.0, 1]]
    assert diagnose(_table(rows), _table(got)).shapes == ["integer_division"]


def test_after_a_fan_out_values_are_not_blamed():
    found = diagnose(_table(ROWS), _table(ROWS + [[1, "completed", Decimal("99"), 9]]))
    assert found.shapes == ["fan_out"] and "group by" in found.text


def test_a_type_family_mismatch_names_the_cast():
    from decode_data.services.grader.types import type_mismatch

    assert type_mismatch({"d": "DATE", "n": "DECIMAL(10,2)"}, {"d": "DATE", "n": "DOUBLE"}, ["d", "n"]) is None
    assert type_mismatch({"n": "BIGINT"}, {"n": "INTEGER"}, ["n"]) is None
    said = type_mismatch({"d": "DATE"}, {"d": "VARCHAR"}, ["d"])
    assert (
        said
        == "the values of d are right, but it is text (VARCHAR) where a date (DATE) is expected: cast(... as date)."
    )


def test_a_time_zone_or_a_whole_number_as_text_gets_the_cast_it_needs():
    """A timestamptz prints as the timestamp plus an offset: that is no date/timestamp slip, and
    `cast(... as date)` would be a second mistake. An hour as text needs an integer, not a decimal."""
    columns = ["order_id", "ordered_at", "hour"]
    rows = [[1, "2024-03-04 08:15:00", 8], [2, "2024-03-05 12:00:00", 12]]
    zoned = diagnose(_table(rows, columns), _table([[i, f"{t}+00:00", h] for i, t, h in rows], columns))
    assert "ordered_at has a time zone" in zoned.text and "cast(... as date)" not in zoned.text, zoned.text
    as_text = diagnose(_table(rows, columns), _table([[i, t, str(h)] for i, t, h in rows], columns))
    assert "hour is text" in as_text.text and "cast(... as integer)" in as_text.text, as_text.text


def test_sums_larger_in_every_row_that_differs_suspect_a_fan_out():
    """A tariff joined on a band that matches two rows sums some hours twice: every differing
    day is larger, by no one factor."""
    columns = ["day", "kwh"]
    expected = [["2024-03-04", 28.225], ["2024-03-05", 30.5], ["2024-03-06", 12.0]]
    doubled = [["2024-03-04", 42.625], ["2024-03-05", 39.0], ["2024-03-06", 12.0]]
    found = diagnose(_table(expected, columns), _table(doubled, columns), key=["day"])
    assert found.shapes == ["inflated"] and "kwh differs in 2 rows" in found.text and "fan-out" in found.text


def test_a_sum_that_is_0_everywhere_suspects_a_condition_never_true():
    """sum(case when category = 'Tools' ...) on lower-case data: 0 in every row, not typed in."""
    found = diagnose(_table(ROWS), _with("orders", lambda _v: 0))
    assert found.shapes == ["never_matched"] and "upper/lower case" in found.text, found.text


def test_one_extra_row_is_not_blamed_on_a_filter():
    found = diagnose(_table(ROWS[:4]), _table(ROWS))
    assert "missing_filter" not in found.shapes and "1 row is in your result but not expected" in found.text


def test_a_key_of_the_wrong_type_is_named_not_every_row_missing_and_extra():
    found = diagnose(_table(ROWS), _with("customer_id", str))
    assert found.shapes == ["key_type"] and "missing" not in found.text and "not expected" not in found.text
    assert "customer_id is text in your result where a number is expected (expected 1, got '1')" in found.text
    typed = diagnose(
        _table(ROWS), _with("customer_id", str), types=({"customer_id": "INTEGER"}, {"customer_id": "VARCHAR"})
    )
    assert "customer_id is text (VARCHAR) in your result where a number (INTEGER) is expected" in typed.text
    assert "cast(customer_id as integer)" in typed.text


def test_a_key_of_the_wrong_type_still_shows_the_other_differences():
    got = _with("customer_id", str)
    got.rows[0][1] = "COMPLETED"
    assert diagnose(_table(ROWS), got).shapes == ["key_type", "case"]


def test_zero_and_null_are_not_the_same_unmatched_value():
    mixed = [r[:] for r in ROWS]
    mixed[4][3] = None  # customer 3 has 0 orders, customer 5 NULL: no one value they share
    found = diagnose(_table(mixed), _table([r for r in mixed if r[0] not in (3, 5)]))
    assert "inner_join" not in found.shapes and "would be 0" not in found.text
    nulls = [r[:] for r in ROWS]
    nulls[1][3], nulls[2][3], nulls[4][3] = 0, None, None  # a kept row has 0: the dropped ones are NULL
    found = diagnose(_table(nulls), _table([r for r in nulls if r[0] not in (3, 5)]))
    assert "inner_join" in found.shapes and "whose orders would be NULL" in found.text


def test_a_double_where_the_reference_casts_to_decimal_is_named():
    from decode_data.services.grader.types import approximate_where_exact, casts_to_decimal

    sql = "select cast(amount_cents / 100 as decimal(10, 2)) as amount, amount_cents * 0.5 as half from t"
    said = approximate_where_exact({"amount": "DECIMAL(10,2)"}, {"amount": "DOUBLE"}, ["amount"], lambda: sql)
    assert said.startswith("amount is a double, expected decimal(10,2)")
    assert approximate_where_exact({"amount": "DOUBLE"}, {"amount": "DECIMAL(10,2)"}, ["amount"], lambda: sql) is None
    assert approximate_where_exact({"n": "DECIMAL(18,2)"}, {"n": "BIGINT"}, ["n"], lambda: sql) is None
    assert casts_to_decimal("with s as (select (x / 100)::numeric(10,2) as amount from t) select * from s", "amount")
    assert not casts_to_decimal(sql, "half")  # a decimal by arithmetic only: the reference is loose there
    assert approximate_where_exact({"half": "DECIMAL(12,1)"}, {"half": "DOUBLE"}, ["half"], lambda: sql) is None


def test_a_test_that_behaves_otherwise_names_the_config_that_differs():
    from decode_data.services.grader.checks_config import _mismatch, config_differences

    want = {
        "config": {"severity": "ERROR", "warn_if": "!= 0", "error_if": "!= 0"},
        "test_kwargs": {"values": ["a", "b"]},
    }
    limited = {"config": {**want["config"], "limit": 1}, "test_kwargs": {"values": ["b", "a"]}}
    said = _mismatch(
        "`accepted_values` test on m.c", ("fail", 3), ("fail", 1), config_differences(want, limited), "x", "unique"
    )
    assert "finds 1 failing rows; the step expects 3" in said and "`limit` config" in said and "where" not in said
    fewer = {"config": want["config"], "test_kwargs": {"values": ["a"]}}
    said = _mismatch(
        "`accepted_values` test on m.c",
        ("fail", 3),
        ("fail", 5),
        config_differences(want, fewer),
        "x",
        "accepted_values",
    )
    assert "`values` argument" in said and "where" not in said
    loose = {"config": {**want["config"], "error_if": "> 10"}, "test_kwargs": want["test_kwargs"]}
    said = _mismatch("`unique` test on m.c", ("fail", 3), ("warn", 3), config_differences(want, loose), "x", "unique")
    assert "check its `error_if` config" in said and "severity" in said  # 'fails (severity error)' names the goal
    assert (
        config_differences(
            want, {"config": {**want["config"], "severity": "error"}, "test_kwargs": want["test_kwargs"]}
        )
        == []
    )
