{#
    to_kwh(value, unit): SQL that turns a meter value counted in `unit` into kWh.

    Both arguments are SQL expressions (usually column names) passed as strings:
        {{ to_kwh('r.register_value', 'm.unit') }}
    The Jinja loop below writes one `when` line per known unit, so supporting a new unit
    (say MWh) is one more entry in the dictionary, in one file, for every model at once.
    An unknown unit gives NULL, never a silently wrong number.
#}
{% macro to_kwh(value, unit) -%}
    {%- set kwh_per_unit = {'wh': 0.001, 'kwh': 1, 'mwh': 1000} -%}
    cast(
        case lower(trim({{ unit }}))
    {%- for name, factor in kwh_per_unit.items() %}
            when '{{ name }}' then {{ value }} * {{ factor }}
    {%- endfor %}
        end
    as decimal(18, 3))
{%- endmacro %}
