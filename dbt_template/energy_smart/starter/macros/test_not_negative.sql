{#
    STEP 7 - a generic data test of your own, used in YAML like unique or not_null:
        data_tests:
          - not_negative
    dbt calls it with the model and the column name. A test passes when its query returns
    no rows, so it should select the bad rows.

    TODO: this version never returns a row, so it can never fail. Make it return the rows
    where the column is below zero.
#}
{% test not_negative(model, column_name) %}
    select *
    from {{ model }}
    where 1 = 0
{% endtest %}
