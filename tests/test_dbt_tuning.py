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


def test_an_event_parses_its_message_when_read_and_it_is_dbts_own(monkeypatch):
    """Events keep their fields until something reads them; what it reads is the message dbt
    would have parsed (nested node_info included), and an event no one reads parses nothing."""
    import copy

    from dbt.adapters.events.types import SQLQuery
    from dbt.events.types import LogModelResult
    from dbt_common.events import base_types
    from dbt_common.events.types import Formatting
    from google.protobuf.json_format import ParseDict

    from decode_data.services.engine import dbt_tuning

    node_info = {"node_name": "orders", "unique_id": "model.shop.orders", "node_status": "success"}
    fields = {"description": "sql table model main.orders", "status": "OK", "index": 1, "total": 2}
    dbts_own = {"query": SQLQuery(conn_name="model.shop.orders", sql="select 1", node_info=node_info)}
    dbts_own["result"] = LogModelResult(**fields, execution_time=0.5, node_info=node_info)
    dbts_own["formatting"] = Formatting("a line")
    monkeypatch.setattr(base_types.BaseEvent, "__init__", base_types.BaseEvent.__init__)
    monkeypatch.setattr(base_types.BaseEvent, "__getattr__", base_types.BaseEvent.__getattr__)
    monkeypatch.setattr(base_types.BaseEvent, "__setattr__", base_types.BaseEvent.__setattr__)
    dbt_tuning._build_event_messages_when_read()

    parsed = []
    real_parse = ParseDict
    monkeypatch.setattr(
        "google.protobuf.json_format.ParseDict", lambda *a, **k: parsed.append(a) or real_parse(*a, **k)
    )
    ours = {"query": SQLQuery(conn_name="model.shop.orders", sql="select 1", node_info=node_info)}
    ours["result"] = LogModelResult(**fields, execution_time=0.5, node_info=node_info)
    ours["formatting"] = Formatting("a line")
    assert parsed == []  # made, not yet read
    for name, event in ours.items():
        assert event.to_dict() == dbts_own[name].to_dict(), name
    assert len(parsed) == 3
    assert ours["result"].node_info.node_name == "orders" and ours["query"].sql == "select 1"
    ours["query"].sql = "select 2"  # dbt sets fields on events it has made
    assert ours["query"].pb_msg.sql == "select 2"
    assert copy.copy(ours["result"]).to_dict() == dbts_own["result"].to_dict()
    assert copy.copy(LogModelResult(**fields)).to_dict() == LogModelResult(**fields).to_dict()
