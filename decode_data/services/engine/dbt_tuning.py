"""What the warm worker changes in dbt before it forks jobs, and why.

Each change either keeps a confined job working (no /dev/shm, no Python models) or removes
work dbt redoes on every invocation that no job of ours can observe. None changes what a
model builds, what a test finds or what a learner reads.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from decode_data.services import kept_json
from decode_data.services.engine import dbt_schemas, install_cache
from decode_data.services.engine.dbt_job import NODE_EVENTS  # the debug events a job forwards


def apply() -> None:
    dbt_schemas.use_kept_schemas()
    _thread_locks_for_multiprocessing()
    _disable_python_models()
    _cheap_dbt_setup()
    _validate_each_config_once()
    _skip_unread_debug_events()
    _build_event_messages_when_read()
    _remember_parsed_manifests()
    _one_empty_table()
    _read_dbts_own_files_once()
    _parse_dbts_own_macros_once()
    _load_kept_own_macros()
    _flatten_macro_namespaces_by_layer()
    _build_macro_namespaces_directly()


def _thread_locks_for_multiprocessing() -> None:
    # dbt asks multiprocessing for locks it only shares between threads. Process-shared locks
    # need /dev/shm, which a confined job cannot touch, so hand out thread locks instead.
    import multiprocessing.context as mp_context

    mp_context.BaseContext.Lock = lambda self: threading.Lock()
    mp_context.BaseContext.RLock = lambda self: threading.RLock()


def _disable_python_models() -> None:
    # A custom materialization can call statement(language='python'); refuse it in the adapter.
    from dbt.adapters.duckdb import impl
    from dbt_common.exceptions import DbtRuntimeError

    def refuse(*_args, **_kwargs):
        raise DbtRuntimeError("Python models are disabled on Decode Data: write your model in SQL.")

    impl.DuckDBAdapter.submit_python_job = refuse
    from dbt.adapters.duckdb import environments

    environments.Environment.run_python_job = classmethod(refuse)


def _cheap_dbt_setup() -> None:
    """Three things dbt redoes on every invocation (a grade build makes four) that cost a job
    more than its models: each adapter's behaviour flags walk the whole call stack with
    `inspect.stack()` (it reads source files) only to name their caller, and every invocation
    scans all of sys.path for `dbt_*` plugin modules. Name the caller from the frames alone
    (the same module inspect would find); scan for plugins once, here: what is installed does
    not change while the worker lives. And `dbt parse` (a grade build's first invocation)
    writes target/perf_info.json, ~3 % of a grade build, which nothing reads: not any more."""
    from dbt.parser.manifest import ManifestLoader
    from dbt.plugins.manager import PluginManager
    from dbt_common import behavior_flags

    ManifestLoader.write_perf_info = lambda self, target_path: None

    def caller_module() -> str:
        frame = sys._getframe(1)
        while frame is not None:
            name = frame.f_globals.get("__name__")
            if name and name != behavior_flags.__name__:
                return name
            frame = frame.f_back
        return "Unknown"

    behavior_flags.BehaviorFlagRendered._default_source = staticmethod(caller_module)
    plugins = PluginManager.get_prefixed_modules()
    PluginManager.get_prefixed_modules = classmethod(lambda cls: dict(plugins))


# The configs dbt validates again in every invocation of a job, each time from the same files.
_CONFIG_CONTRACTS = frozenset(
    [f"dbt.contracts.project.{name}" for name in ("Project", "Configuration", "ProjectFlags", "ProfileConfig")]
    + ["dbt.contracts.project.PackageConfig", "dbt.contracts.selection.SelectorFile"]
    + ["dbt.adapters.duckdb.credentials.DuckDBCredentials"]
)


def _validate_each_config_once() -> None:
    """dbt checks the project, profile and flags against their JSON schemas three times in each
    invocation and again in the next (a grade build makes up to eight): ~7 % of a grade build.
    A config that passed once passes again: remember the ones that passed, by their exact
    JSON. Anything else, and every failure, is checked by dbt as before."""
    import json

    from dbt_common.dataclass_schema import dbtClassMixin

    validate = dbtClassMixin.validate.__func__
    passed: set[tuple[str, str]] = set()  # (contract, config as JSON)

    def validate_once(cls, data):
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name not in _CONFIG_CONTRACTS:
            return validate(cls, data)
        try:
            key = (name, json.dumps(data, sort_keys=True))
        except (TypeError, ValueError):  # not plain JSON: no key to remember it by
            return validate(cls, data)
        if key not in passed:
            validate(cls, data)
            if len(passed) > 256:
                passed.clear()
            passed.add(key)
        return None

    dbtClassMixin.validate = classmethod(validate_once)


def _skip_unread_debug_events() -> None:
    """A job runs dbt with --quiet and no log file, so no logger writes a debug event, and the
    engine's callback reads only node progress among them. dbt still turns every event into a
    protobuf message first (each SQL statement fires several): a tenth of a warm run. Drop
    the debug events nobody reads before that; a logger that wants them (a --debug run
    outside the engine) still gets every one."""
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.event_manager import EventManager

    fire = EventManager.fire_event

    def fire_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        if (
            (level or e.level_tag()) == EventLevel.DEBUG
            and type(e).__name__ not in NODE_EVENTS
            and not force_warn_or_error_handling
            and all(logger.level != EventLevel.DEBUG for logger in self.loggers)
        ):
            return
        fire(self, e, level=level, node=node, force_warn_or_error_handling=force_warn_or_error_handling)

    EventManager.fire_event = fire_event


def _build_event_messages_when_read() -> None:
    """Each event dbt fires (several per SQL statement) parses its fields into a protobuf
    message as it is made, with protobuf's generic JSON parser: ~6 % of a grade build. Most
    are debug events that _skip_unread_debug_events drops unread. An event now keeps its
    fields and parses them the first time something reads the message (a callback, a
    logger): the same message, only for the events someone reads."""
    from dbt_common.events.base_types import BaseEvent

    construct = BaseEvent.__init__  # dbt's own: positional fields and bad fields fail its way

    def message(event):
        found = event.__dict__.get("pb_msg")
        if found is not None:
            return found
        fields = event.__dict__.get("_fields")
        if fields is None:  # a bare object (a copy being made): no message yet, as in dbt
            raise AttributeError("pb_msg")
        from google.protobuf.json_format import ParseDict

        try:
            event.__dict__["pb_msg"] = ParseDict(fields, getattr(event.PROTO_TYPES_MODULE, type(event).__name__)())
        except Exception:  # noqa: BLE001 - dbt's own constructor reports a bad field its way
            construct(event, **fields)
        return event.__dict__["pb_msg"]

    def __init__(self, *args, **kwargs):
        if type(self).__name__ == "Formatting" and len(args) == 1:
            kwargs["msg"], args = args[0], ()
        if args:
            construct(self, *args, **kwargs)
            return
        for text in ("base_msg", "msg"):
            if text in kwargs:
                kwargs[text] = str(kwargs[text])
        self.__dict__["_fields"] = kwargs

    def __getattr__(self, key):
        return message(self) if key == "pb_msg" else getattr(message(self), key)

    def __setattr__(self, key, value):
        if key == "pb_msg":
            self.__dict__["pb_msg"] = value
        else:
            setattr(message(self), key, value)

    BaseEvent.__init__ = __init__
    BaseEvent.__getattr__ = __getattr__
    BaseEvent.__setattr__ = __setattr__


def _one_empty_table() -> None:
    """Every SQL statement that fetches nothing (most of what a materialization runs) gets an
    empty agate table, and agate builds a type tester with date parsers for each one. Tables
    are immutable: one empty table serves them all."""
    import agate
    from dbt_common.clients import agate_helper

    empty = agate.Table(rows=[])
    agate_helper.empty_table = lambda: empty


def _read_dbts_own_files_once() -> None:
    """Every invocation reads and hashes the ~170 macro files of dbt and of the adapter, only
    to find them unchanged (partial parsing compares them): they cannot change while the
    worker lives. Read them once; each invocation gets fresh SourceFile objects of the same
    bytes. A project of the learner (or anything else outside dbt's own folder) is read as
    always, and so is any internal file that is not a plain SourceFile."""
    import os

    from dbt.contracts.files import SourceFile
    from dbt.parser.read_files import ReadFilesFromFileSystem

    own = _dbts_own_folders()
    read = ReadFilesFromFileSystem.read_files_for_project
    kept: dict[tuple[str, str], tuple[dict, list]] = {}

    def read_files_for_project(self, project, file_types):
        key = (os.path.realpath(project.project_root) + os.sep, project.project_name)
        if not key[0].startswith(own):
            return read(self, project, file_types)
        if key not in kept:
            before = set(self.files)
            read(self, project, file_types)
            new = [self.files[file_id] for file_id in self.files if file_id not in before]
            if all(type(sf) is SourceFile for sf in new):
                parsers = {parser: list(ids) for parser, ids in self.project_parser_files[project.project_name].items()}
                kept[key] = (parsers, [(sf.path, sf.checksum, sf.contents, sf.parse_file_type) for sf in new])
            return None
        parsers, files = kept[key]
        self.project_parser_files[project.project_name] = {parser: list(ids) for parser, ids in parsers.items()}
        for path, checksum, contents, parse_file_type in files:
            fresh = SourceFile(path=path, checksum=checksum, parse_file_type=parse_file_type, project_name=key[1])
            fresh.contents = contents
            self.files[fresh.file_id] = fresh
        return None

    ReadFilesFromFileSystem.read_files_for_project = read_files_for_project


def _dbts_own_folders() -> tuple[str, ...]:
    import os

    import dbt.include

    return tuple(os.path.realpath(p) + os.sep for p in dbt.include.__path__)


_OWN_MACROS: dict[str, dict[str, tuple]] = {}  # project name -> file id -> (checksum, macros)
_OWN_MACROS_PARSED: set[str] = set()  # the projects whose macros this process parsed itself
_OWN_MACROS_KIND = "own-macros"
_MACRO_PARSERS = ("MacroParser", "GenericTestParser")


def _parse_dbts_own_macros_once() -> None:
    """A full parse (a new workspace, a fresh build folder) parses the ~1,000 macros of dbt and
    of the adapter again and extracts the calls in each: ~0.6 s of a 0.9 s parse, for macros
    that cannot change while the worker lives. Parse them once (the warm-up does), then give
    every later parse copies of the same macros while their files hash the same. The
    project's own macros are parsed every time, and the calls of its macros are found as
    always (dbt looks only at macros made by this parse). The macros the warm-up parsed are
    kept with the install too (keep_own_macros): the next worker starts with them."""
    import copy
    import os

    from dbt.parser.manifest import ManifestLoader

    own = _dbts_own_folders()
    parse = ManifestLoader.load_and_parse_macros
    kept = _OWN_MACROS

    def own_copy(macro):
        """A macro no other manifest shares (only its calls, depends_on, are ever changed)."""
        fresh = copy.copy(macro)
        fresh.depends_on = copy.deepcopy(macro.depends_on)
        return fresh

    def file_ids(project_files: dict) -> list[str]:
        return [file_id for parser in _MACRO_PARSERS for file_id in project_files.get(parser, [])]

    def reusable(name: str, project_files: dict, files) -> bool:
        found = kept.get(name)
        return found is not None and {i: files[i].checksum for i in file_ids(project_files)} == {
            i: checksum for i, (checksum, _) in found.items()
        }

    def load_and_parse_macros(self, project_parser_files):
        if self.partially_parsing:  # only the changed files: the saved manifest has the others
            return parse(self, project_parser_files)
        ours = {
            name
            for name, project in self.all_projects.items()
            if (os.path.realpath(project.project_root) + os.sep).startswith(own) and name in project_parser_files
        }
        reused = {name for name in ours if reusable(name, project_parser_files[name], self.manifest.files)}
        for name in reused:
            for file_id, (_checksum, macros) in kept[name].items():
                for macro in macros:
                    self.manifest.add_macro(self.manifest.files[file_id], own_copy(macro))
        parse(self, {name: files for name, files in project_parser_files.items() if name not in reused})
        for name in ours - reused:
            files = self.manifest.files
            _OWN_MACROS_PARSED.add(name)
            kept[name] = {
                file_id: (files[file_id].checksum, [own_copy(self.manifest.macros[m]) for m in files[file_id].macros])
                for file_id in file_ids(project_parser_files[name])
            }

    ManifestLoader.load_and_parse_macros = load_and_parse_macros


def _load_kept_own_macros(path: Path | None = None) -> None:
    """dbt's own macros as an earlier worker of this install parsed them (used only while
    their files hash the same: _parse_dbts_own_macros_once checks)."""
    from dbt.contracts.files import FileHash
    from dbt.contracts.graph.nodes import Macro

    for name, files in kept_json.read(path or install_cache.cache_file(_OWN_MACROS_KIND)).items():
        if name in _OWN_MACROS or not isinstance(files, dict):
            continue
        try:
            _OWN_MACROS[name] = {
                file_id: (FileHash.from_dict(kept["checksum"]), [Macro.from_dict(m) for m in kept["macros"]])
                for file_id, kept in files.items()
            }
        except (KeyError, TypeError, ValueError):  # written by other code: parse them again
            _OWN_MACROS.pop(name, None)


def keep_for_the_next_worker() -> None:
    """After a warm-up: what it built from dbt alone (JSON schemas, dbt's own macros), written
    for the next worker of this install (install_cache)."""
    dbt_schemas.keep_schemas()
    keep_own_macros()


def keep_own_macros(path: Path | None = None) -> None:
    """Write dbt's own macros as this worker parsed them, for the next worker of this install."""
    if not _OWN_MACROS_PARSED:
        return
    kept_json.write(
        path or install_cache.cache_file(_OWN_MACROS_KIND),
        {
            name: {
                file_id: {"checksum": checksum.to_dict(), "macros": [m.to_dict() for m in macros]}
                for file_id, (checksum, macros) in files.items()
            }
            for name, files in _OWN_MACROS.items()
        },
    )


def flattened(namespace) -> dict:
    """A dbt MacroNamespace as the dict its Mapping protocol gives (each name's value from the
    first layer that has it), made by copying its layers from last to first."""
    flat: dict = {}
    for layer in reversed(list(namespace._search_order())):
        flat.update(layer)
    return flat


def _flatten_macro_namespaces_by_layer() -> None:
    """Each Jinja context (several per model: every adapter macro builds one) copies the ~500
    macros of its namespace into a dict through the Mapping protocol: a set of every name,
    then one lookup per name that walks the layers (local, root, packages, dbt, internal) and
    builds a dict on each walk. `flattened` gives the same dict with plain dict updates."""
    from dbt.context.configured import ConfiguredContext
    from dbt.context.macros import MacroNamespace
    from dbt.context.manifest import ManifestContext

    to_dict = ManifestContext.to_dict

    def layered_to_dict(self):
        if type(self.namespace) is not MacroNamespace:
            return to_dict(self)
        context = ConfiguredContext.to_dict(self)  # the dict every macro of this context holds
        context.update(flattened(self.namespace))
        return context

    ManifestContext.to_dict = layered_to_dict


def _build_macro_namespaces_directly() -> None:
    """Every Jinja context (several per node) builds a namespace of all ~1,000 macros, each
    wrapped in a MacroGenerator bound to that context: 13 % of a grade build's CPU, most of it
    three __init__ calls and two dict walks per macro. This builds the same namespace (the same
    generators, layers and order) with one object and one dict write per macro. dbt's check for
    a macro name defined twice in a package cannot fire here: the macros come from
    Manifest.get_macros_by_package, which keys each package's macros by name."""
    from dbt.clients.jinja import MacroGenerator
    from dbt.context.macros import MacroNamespace, MacroNamespaceBuilder

    make = MacroGenerator.__new__

    def build_namespace(self, macros_by_package, ctx):
        node, stack = self.node, self.thread_ctx
        for package, macros in macros_by_package.items():
            funcs = {}
            for name, macro in macros.items():
                func = make(MacroGenerator)
                func.context, func.macro, func.node, func.stack = ctx, macro, node, stack
                funcs[name] = func
            if package in self.internal_package_names:
                self.internal_packages[package] = funcs
                continue
            self.packages[package] = funcs
            if package == self.search_package:
                self.locals.update(funcs)
            elif package == self.root_package:
                self.globals.update(funcs)
        global_project_namespace = {}
        for package in reversed(self.internal_package_names_order):
            global_project_namespace.update(self.internal_packages.get(package, {}))
        return MacroNamespace(self.globals, self.locals, global_project_namespace, self.packages)

    MacroNamespaceBuilder.build_namespace = build_namespace


_parsed: list = []  # the manifest this process's last dbt invocation parsed, if any


def _remember_parsed_manifests() -> None:
    """A job needs the manifest (lineage, error mapping) and runs one command. Parsing in an
    invocation of its own (`dbt parse`, then the command on its manifest) pays dbt's set-up
    (flags, project, profile, adapter) twice; the command's own parse, remembered here, is
    the same manifest."""
    from dbt.cli import requires

    parse = requires.parse_manifest

    def parse_manifest(*args, **kwargs):
        manifest = parse(*args, **kwargs)
        _parsed[:] = [manifest]
        return manifest

    requires.parse_manifest = parse_manifest


def take_parsed_manifest():
    """The manifest the last invocation parsed (None when it failed to parse), forgotten here."""
    found = _parsed[0] if _parsed else None
    _parsed.clear()
    return found
