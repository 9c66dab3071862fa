"""What the warm worker changes in dbt must not change what dbt does: each shortcut against
dbt's own behaviour (the engine tests run every job through all of them)."""

from __future__ import annotations

from dbt.context.macros import MacroNamespace

from decode_data.services.engine.dbt_tuning import flattened


def test_a_flattened_macro_namespace_is_what_its_mapping_gives():
    """The same names with the same values as dbt's own Mapping protocol, where a name is in
    several layers (a learner's macro overriding dbt's, a package named like a macro)."""
    namespace = MacroNamespace(
        global_namespace={"ref": "root.ref", "my_macro": "root.my_macro", "shared": "root.shared"},
        local_namespace={"shared": "local.shared", "only_local": "local.only_local"},
        global_project_namespace={"ref": "dbt.ref", "is_incremental": "dbt.is_incremental", "utils": "dbt.utils"},
        packages={"utils": {"x": "utils.x"}, "lesson": {"shared": "pkg.shared"}},
    )
    expected = {name: namespace[name] for name in namespace}
    assert flattened(namespace) == expected
    assert flattened(namespace)["shared"] == "local.shared" and flattened(namespace)["ref"] == "root.ref"
    assert flattened(namespace)["utils"] == {"x": "utils.x"}  # a package wins over a dbt macro
    assert flattened(namespace)["dbt"] == namespace["dbt"]
