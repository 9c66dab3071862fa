"""What one keystroke costs the state manager: `python -m decode_data bench --states`.

Reflex's Redis state manager loads, for each event, the state that owns the handler, its
substates and its parents, and writes back what changed. This fills the lesson page's states
the way a learner leaves them after a run (logs, grid rows, a lineage graph, check feedback),
sends one editor `edit` event and reports the states loaded, their serialized size and the
size of the delta sent to the browser. No server and no Redis are needed: the set of states
is the one the Redis manager computes, and the sizes are those of the same serialization.
"""

from __future__ import annotations

import json

from reflex.istate.manager.redis import StateManagerRedis
from reflex.state import BaseState, State

# A learner's lesson page after a run and a check: vars set on whichever state owns them.
SAMPLE = {
    "logs": [f"12:00:{i % 60:02d}  {i} of 200 OK created sql view model main.stg_orders_{i}" for i in range(200)],
    "rows": [[str(i), f"customer {i}", "2024-01-01", "42.50"] for i in range(50)],
    "columns": ["customer_id", "name", "first_order", "lifetime_value"],
    "graph": {
        "nodes": [{"id": f"model.lesson.m{i}", "label": f"m{i}", "x": i * 40, "y": i * 20} for i in range(12)],
        "edges": [{"source": f"model.lesson.m{i}", "target": f"model.lesson.m{i + 1}"} for i in range(11)],
    },
    "_lineage": {"nodes": {f"model.lesson.m{i}": {"name": f"m{i}", "resource_type": "model"} for i in range(12)}},
    "_compiled": {f"model.lesson.m{i}": "select * from main.raw_orders\n" * 10 for i in range(12)},
    "instructions": "## A step\n\n" + "Build the model and run it. " * 80,
    "loaded_text": "select\n    customer_id,\n    count(*) as orders\nfrom {{ ref('stg_orders') }}\n" * 3,
    "compiled_sql": "select * from main.raw_orders\n" * 10,
}


def _fill(root: State) -> None:
    for state in _tree(root):
        own = {name for name, field in type(state).__fields__.items() if field._owner is type(state)}
        for name, value in SAMPLE.items():
            if name in own:
                setattr(state, name, value)


def _tree(state: BaseState):
    yield state
    for sub in state.substates.values():
        yield from _tree(sub)


def _required(target: type[BaseState]) -> list[type[BaseState]]:
    """The state classes the Redis state manager loads to process an event of `target`."""
    rules = StateManagerRedis.__new__(StateManagerRedis)  # only its rules: no connection
    found = rules._get_required_state_classes(target, subclasses=True)
    return sorted(found, key=lambda cls: cls.get_full_name())


def measure_edit() -> dict:
    """States loaded, their bytes, and the delta of one `edit` event on the lesson page."""
    from decode_data.components.workbench import EDIT_EVENT

    target = EDIT_EVENT.state_full_name
    root = State(_reflex_internal_init=True)
    _fill(root)
    owner = root.get_substate(target.split(".")[1:])
    owner.editable, owner._saving = True, True  # no autosave task: the event alone
    root._clean()
    EDIT_EVENT.fn(owner, "select 1 as one\n")
    delta = root.get_delta()
    loaded = _required(type(owner))
    states = {type(s): s for s in _tree(root)}
    return {
        "handler_state": target,
        "states_loaded": [cls.get_full_name() for cls in loaded],
        "states_loaded_n": len(loaded),
        "loaded_bytes": sum(len(states[cls]._serialize()) for cls in loaded),
        "delta_states": sorted(delta),
        "delta_bytes": len(json.dumps(delta, default=str)),
    }


def _short(full_name: str) -> str:
    """reflex___state____state.decode_data___states___editor____editor_state -> editor_state"""
    return full_name.rsplit(".", 1)[-1].rsplit("____", 1)[-1]


def render(figures: dict) -> str:
    loaded, changed = (", ".join(map(_short, figures[key])) for key in ("states_loaded", "delta_states"))
    return "\n".join(
        [
            "One editor keystroke (`edit` event) on the lesson page, Redis state manager rules:",
            f"  handler state      {_short(figures['handler_state'])}",
            f"  states loaded      {figures['states_loaded_n']}: {loaded}",
            f"  bytes loaded/saved {figures['loaded_bytes']:,}",
            f"  delta to browser   {figures['delta_bytes']:,} bytes in {changed}",
        ]
    )
