"""A real SQL editor in the browser: CodeMirror 6, bundled from npm at build time (no CDN).

The editor is uncontrolled while the learner types: `value` only changes when another file is
opened (a new `key` remounts it), so keystrokes never race with state updates from the server.
Ctrl/Cmd+Enter clicks the element whose id is `run_button_id`, so the shortcut does exactly what
the visible button does.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

CODEMIRROR = "@uiw/react-codemirror@4.25.12"
CODEMIRROR_PARTS = [
    "@codemirror/lang-sql@6.10.0",
    "@codemirror/lang-yaml@6.1.3",
    "@codemirror/state@6.7.6",
    "@codemirror/view@6.43.15",
]


class CodeMirror(rx.Component):
    """React wrapper of CodeMirror 6 with SQL or YAML highlighting and line numbers."""

    library = CODEMIRROR
    lib_dependencies: list[str] = CODEMIRROR_PARTS
    tag = "CodeMirror"
    is_default = True

    value: Var[str]
    height: Var[str]
    min_height: Var[str]
    editable: Var[bool]
    read_only: Var[bool]
    basic_setup: Var[dict]
    extensions: Var[list]
    placeholder: Var[str]
    auto_focus: Var[bool]

    on_change: rx.EventHandler[lambda value: [value]]
    on_blur: rx.EventHandler[lambda _event: []]

    def add_imports(self) -> dict:
        return {
            "@codemirror/lang-sql": [rx.ImportVar(tag="sql")],
            "@codemirror/lang-yaml": [rx.ImportVar(tag="yaml")],
            "@codemirror/view": [rx.ImportVar(tag="keymap"), rx.ImportVar(tag="EditorView")],
            "@codemirror/state": [rx.ImportVar(tag="Prec")],
        }


def _run_shortcut(run_button_id: str) -> str:
    return (
        f'Prec.highest(keymap.of([{{key: "Mod-Enter", run: () => {{'
        f'document.getElementById("{run_button_id}")?.click(); return true; }}}}]))'
    )


def _language(path: Var | None) -> Var:
    """The highlighting for the open file: YAML for .yml/.yaml (an apostrophe in a description is
    not a SQL string), none for Markdown and CSV, SQL otherwise."""
    if path is None:
        return Var("sql()")
    js = f"(/\\.ya?ml$/.test({path}) ? yaml() : /\\.(md|csv)$/.test({path}) ? [] : sql())"
    return Var(_js_expr=js, _var_data=path._get_all_var_data())


def code_editor(
    value: Var,
    key: Var,
    on_change,
    *,
    path: Var | None = None,
    run_button_id: str = "",
    read_only: bool | Var = False,
    height: str = "100%",
    label: str = "SQL editor",
    **props,
) -> rx.Component:
    """CodeMirror set up for dbt SQL (or the YAML of `path`); `on_change` gets the whole document
    on every edit."""
    language = _language(path)
    extensions = [str(language), "EditorView.lineWrapping"]  # long comments wrap instead of scrolling away
    if run_button_id:
        extensions.append(_run_shortcut(run_button_id))
    return CodeMirror.create(
        value=value,
        key=key,
        on_change=on_change,
        read_only=read_only,
        editable=~read_only if isinstance(read_only, Var) else not read_only,
        height=height,
        basic_setup={
            "lineNumbers": True,
            "foldGutter": False,
            "highlightActiveLine": True,
            "autocompletion": True,
            "bracketMatching": True,
        },
        extensions=Var(_js_expr=_js_list(extensions), _var_data=language._get_all_var_data()),
        aria_label=label,
        **props,
    )


def code_view(value: Var, *, label: str = "SQL") -> rx.Component:
    """Read-only SQL (a solution, the SQL dbt compiled) with the editor's own highlighting: one
    highlighter on the lesson page instead of a second one (Prism and its themes) for these."""
    return CodeMirror.create(
        value=value,
        read_only=True,
        editable=False,
        height="auto",
        basic_setup={"lineNumbers": False, "foldGutter": False, "highlightActiveLine": False},
        extensions=Var(_js_expr=_js_list(["sql()", "EditorView.lineWrapping"])),
        aria_label=label,
        width="100%",
        font_size="0.8em",
        border="1px solid var(--gray-a5)",
        border_radius="var(--radius-2)",
        overflow="hidden",
    )


def _js_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def highlight_line_css(line: Var) -> rx.Component:
    """Marks one line of the editor (1-based; 0 marks none) where the learner's error is."""
    css = rx.cond(
        line > 0,
        ".cm-content > .cm-line:nth-child("
        + line.to_string()
        + ") { background: var(--red-a4); outline: 1px solid var(--red-8); }",
        "",
    )
    return rx.el.style(css)
