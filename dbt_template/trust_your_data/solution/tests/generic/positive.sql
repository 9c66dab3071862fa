{#- A generic test of our own: fails on every row whose column is zero or less.
    Use it in YAML like the built-in tests:  data_tests: [positive]
    NULLs are not checked (NULL <= 0 is not true); add not_null for that. -#}
{% test positive(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} <= 0

{% endtest %}
