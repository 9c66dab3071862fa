"""The grader's comparison stages, with right and wrong submissions."""

from __future__ import annotations

from decode_data.services.grader.compare import Table, compare_tables

REFERENCE = Table(columns=["customer_id", "total"], rows=[[1, 10.5], [2, 7.0], [3, None]])


def test_same_rows_in_any_order_and_column_case_pass():
    learner = Table(columns=["TOTAL", "Customer_Id"], rows=[[None, 3], [7, 2], [10.5, 1]])
    assert compare_tables(REFERENCE, learner) is None


def test_wrong_column_names_are_named():
    learner = Table(columns=["customer_id", "sum_total"], rows=[[1, 10.5], [2, 7.0], [3, None]])
    result = compare_tables(REFERENCE, learner)
    assert result.stage == "columns"
    assert result.missing_columns == ["total"] and result.extra_columns == ["sum_total"]
    assert "missing column total" in result.message and "unexpected column sum_total" in result.message


def test_extra_rows_fail_on_row_count_with_a_diff():
    learner = Table(columns=["customer_id", "total"], rows=REFERENCE.rows + [[4, 1.0], [4, 1.0]])
    result = compare_tables(REFERENCE, learner)
    assert result.stage == "row_count"
    assert (result.expected_rows, result.actual_rows) == (3, 5)
    assert result.diff.extra == [[4.0, 1.0], [4.0, 1.0]] and result.diff.missing_total == 0


def test_wrong_values_show_missing_and_extra_rows():
    learner = Table(columns=["customer_id", "total"], rows=[[1, 10.5], [2, 8.0], [3, None]])
    result = compare_tables(REFERENCE, learner)
    assert result.stage == "values"
    assert result.diff.missing == [[2.0, 7.0]] and result.diff.extra == [[2.0, 8.0]]


def test_float_noise_is_tolerated():
    learner = Table(columns=["customer_id", "total"], rows=[[1, 10.5000000001], [2, 7], [3, None]])
    assert compare_tables(REFERENCE, learner) is None


def test_null_is_not_zero():
    learner = Table(columns=["customer_id", "total"], rows=[[1, 10.5], [2, 7.0], [3, 0]])
    assert compare_tables(REFERENCE, learner).stage == "values"


def test_swapped_order_fails_only_when_order_is_asked_for():
    learner = Table(columns=["customer_id", "total"], rows=[[2, 7.0], [1, 10.5], [3, None]])
    assert compare_tables(REFERENCE, learner) is None
    result = compare_tables(REFERENCE, learner, ordered=True)
    assert result.stage == "order"


def test_duplicates_count_as_a_multiset():
    reference = Table(columns=["x"], rows=[[1], [1], [2]])
    learner = Table(columns=["x"], rows=[[1], [2], [2]])
    result = compare_tables(reference, learner)
    assert result.stage == "values"
    assert result.diff.missing == [[1.0]] and result.diff.extra == [[2.0]]


def test_large_diffs_are_capped_for_display():
    reference = Table(columns=["x"], rows=[[i] for i in range(100)])
    learner = Table(columns=["x"], rows=[[i + 1000] for i in range(100)])
    result = compare_tables(reference, learner)
    assert result.diff.missing_total == 100 and len(result.diff.missing) == 20
