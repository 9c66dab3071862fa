{#
    A generic data test of your own. Attach it to a column in YAML like unique or not_null:
        data_tests:
          - not_negative
    dbt calls it with the model and the column; it passes when the query returns no rows.
#}
{% test not_negative(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}
