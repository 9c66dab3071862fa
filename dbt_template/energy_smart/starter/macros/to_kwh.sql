{#
    STEP 2 - a macro: a piece of SQL you write once and call from any model.

    to_kwh(value, unit) should return SQL that turns `value`, counted in `unit`, into kWh:
    Wh -> divide by 1000, kWh -> as it is, and the unit may come in any letter case.
    Call it from a model with the column names as strings:  {{ to_kwh('r.register_value', 'm.unit') }}

    TODO: this version ignores the unit, so Wh meters come out 1000 times too big. Fix it.
#}
{% macro to_kwh(value, unit) -%}
    {{ value }}
{%- endmacro %}
