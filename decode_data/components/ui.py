"""The app's small UI vocabulary: colours, spacing, widths and the few building blocks every page
repeats (muted text, callouts, section cards, a confirm dialog, a progress bar, code boxes).

Pages use these instead of inline styles, so the look of the whole app changes in one place and
a screen that works at 390 px works everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import reflex as rx

# ---------------------------------------------------------------- colours (Radix colour scales)

ACCENT = "teal"  # the app's colour: passed, saved, primary actions
MUTED = "gray"  # secondary text and neutral badges
DANGER = "red"  # errors and destructive actions
WARNING = "amber"  # "not yet", stale data, things to look at
INFO = "blue"  # hints and "in progress"

LEVEL_COLORS = {"beginner": "grass", "intermediate": "amber", "advanced": "tomato"}
RUN_STATUS_COLORS = {
    "success": ACCENT,
    "pass": ACCENT,
    "passed": ACCENT,
    "running": INFO,
    "warn": WARNING,
    "timeout": WARNING,
    "rejected": MUTED,
    "skipped": MUTED,
    "error": DANGER,
    "fail": DANGER,
    "failed": DANGER,
    "runtime error": DANGER,
}

CODE_FONT = "var(--code-font-family)"
# How a block of code looks wherever it stands (lesson text, a command to copy).
CODE_BLOCK = {
    "font_family": CODE_FONT,
    "background": "var(--gray-3)",
    "color": "var(--gray-12)",
    "padding": "0.6em 0.8em",
    "border_radius": "var(--radius-2)",
}

# ---------------------------------------------------------------- spacing (Radix space steps)

GAP = "2"  # between controls of one group, lines of a list
STACK_GAP = "3"  # between the blocks inside a card
SECTION_GAP = "4"  # between the cards of a page

# ---------------------------------------------------------------- widths

# Radix Themes' breakpoints (xs 520, sm 768, md 1024, lg 1280, xl 1640 px). The app hands them to
# Reflex too (rx.App(style={"breakpoints": ...})), so style props such as `display` switch at
# the same widths as Radix props such as `columns` and `direction`.
BREAKPOINTS = ["520px", "768px", "1024px", "1280px", "1640px"]
PHONE_WIDTH = 390  # the narrowest screen every page is checked at (tests/test_e2e_screens.py)


def side_by_side(first: str, from_width: str = "md") -> rx.Breakpoints:
    """Grid `columns`: one column on narrow screens, `first` then the rest from `from_width` up."""
    return rx.breakpoints(initial="minmax(0, 1fr)", **{from_width: f"{first} minmax(0, 1fr)"})


def shown_from(width: str, display: str = "flex") -> rx.Breakpoints:
    """A `display` value: hidden below `width` ("sm", "md" ...), shown from there up."""
    return rx.breakpoints(initial="none", **{width: display})


def hidden_from(width: str, display: str = "flex") -> rx.Breakpoints:
    """A `display` value: shown below `width`, hidden from there up."""
    return rx.breakpoints(initial=display, **{width: "none"})


def only_from(width: str, value: Any, below: Any) -> rx.Breakpoints:
    """Any responsive prop: `below` on narrow screens, `value` from `width` up."""
    return rx.breakpoints(initial=below, **{width: value})


# ---------------------------------------------------------------- text


def muted(*children, size: str = "2", **props) -> rx.Component:
    """Secondary text: explanations, counts, empty states."""
    return rx.text(*children, size=size, color_scheme=MUTED, **props)


def code_text(*children, size: str = "1", **props) -> rx.Component:
    """A path, a model name, a command: in the code font, one line."""
    return rx.text(*children, size=size, font_family=CODE_FONT, **props)


def page_title(*children, **props) -> rx.Component:
    """The page's one h1; a size smaller on phones so a long name does not fill the screen."""
    return rx.heading(*children, size=rx.breakpoints(initial="6", sm="7"), as_="h1", **props)


def section_title(*children, **props) -> rx.Component:
    """The h2 at the top of a section card."""
    return rx.heading(*children, size="4", as_="h2", **props)


def field_error(message, **props) -> rx.Component:
    """The error under one form field, announced to screen readers."""
    return rx.text(message, color_scheme=DANGER, size="2", role="alert", **props)


# ---------------------------------------------------------------- callouts


def _callout(icon: str, color: str, children: tuple, size: str, props: dict) -> rx.Component:
    # Text goes in the callout's <p>; whole components (rows, buttons) sit beside it, never inside.
    body = [c if isinstance(c, rx.Component) else rx.callout.text(c) for c in children]
    return rx.callout.root(rx.callout.icon(rx.icon(icon)), *body, color_scheme=color, size=size, width="100%", **props)


def error_callout(*children, size: str = "2", icon: str = "triangle_alert", **props) -> rx.Component:
    """Something went wrong and the learner should read it now (role=alert)."""
    return _callout(icon, DANGER, children, size, {"role": "alert", **props})


def notice_callout(*children, color: str = WARNING, icon: str = "info", size: str = "2", **props) -> rx.Component:
    """Worth knowing but not an error: stale results, a missing lesson, a hint."""
    return _callout(icon, color, children, size, props)


def _lesson_code_block(code, **_language) -> rx.Component:
    """A code block of lesson text, in the app's code font and unhighlighted: Reflex's
    highlighter loads its core and each language as chunks of their own, one after another,
    after the page has rendered once, and the lesson page waited for both."""
    return rx.el.pre(rx.el.code(code), **CODE_BLOCK, font_size="var(--font-size-2)", margin_y="0.6em")


def lesson_markdown(text, **props) -> rx.Component:
    """Lesson text (instructions, hints, explanations) as Markdown. Lessons can be imported from
    outside, so raw HTML in them is shown as text, never run; diagrams in code blocks keep their
    lines and scroll sideways in a narrow pane instead of wrapping. No TeX: a lesson about money
    ("$5 a month, $60 a year") must not turn into a formula, and the page loads without KaTeX."""
    return rx.box(
        rx.markdown(text, use_raw=False, use_math=False, use_katex=False, component_map={"pre": _lesson_code_block}),
        width="100%",
        min_width="0",
        style={
            "& pre": {"overflow_x": "auto", "max_width": "100%"},
            "& pre, & pre code": {"white_space": "pre", "word_break": "normal", "overflow_wrap": "normal"},
            "& p": {"margin_block": "0.4em"},
        },
        **props,
    )


# ---------------------------------------------------------------- layout


def section_card(*children, title=None, **props) -> rx.Component:
    """A card holding one section of a page; `title` is text (an h2) or a whole header row."""
    head = [section_title(title) if isinstance(title, str) else title] if title is not None else []
    return rx.card(rx.vstack(*head, *children, spacing=STACK_GAP, width="100%"), width="100%", **props)


def card_header(title, *extras: rx.Component) -> rx.Component:
    """A section title with badges or buttons on its right, wrapping on narrow screens."""
    return rx.hstack(section_title(title), rx.spacer(), *extras, width="100%", align="center", spacing=GAP, wrap="wrap")


def scroll_x(child: rx.Component, **props) -> rx.Component:
    """Lets a wide table scroll inside its card instead of making the page scroll sideways."""
    return rx.box(child, overflow_x="auto", width="100%", max_width="100%", **props)


def code_box(text, box_id: str | None = None, **props) -> rx.Component:
    """A block of code to read or copy (a curl command): wraps long lines, never overflows."""
    return rx.el.pre(
        text,
        id=box_id,
        **CODE_BLOCK,
        font_size="var(--font-size-1)",
        white_space="pre-wrap",
        word_break="break-all",
        margin="0",
        width="100%",
        **props,
    )


def progress_bar(value, label, **props) -> rx.Component:
    """A thin 0-100 bar. Radix's progress grows in a flex column (a tall oval at 0 %); this never does."""
    return rx.progress(value=value, max=100, aria_label=label, flex_grow="0", flex_shrink="0", width="100%", **props)


def color_for(value, colors: Mapping[str, str], default: str = MUTED):
    """A colour scheme chosen by a state var (a run status, a lesson level)."""
    return rx.match(value, *colors.items(), default)


def status_badge(status, *children, **props) -> rx.Component:
    """A run, job or node status in its colour (RUN_STATUS_COLORS)."""
    return rx.badge(*children or (status,), color_scheme=color_for(status, RUN_STATUS_COLORS), variant="soft", **props)


# ---------------------------------------------------------------- forms


def form(*children, **props) -> rx.Component:
    """A form the page sends itself. It is in the page's HTML before the page's scripts run; it
    says POST, so even a browser that sent it then would never put a field in a URL."""
    return rx.form(*children, method="post", reset_on_submit=False, **props)


def submit_button(*children, disabled=None, **props) -> rx.Component:
    """A form's submit button, enabled once the page is live (hydrated, its on_load done). Before,
    a click or Enter would make the browser send the form itself, as a GET with every field,
    a password too, in the address bar, the history and the server's logs."""
    not_live = ~rx.State.is_hydrated
    return rx.button(*children, type="submit", disabled=not_live if disabled is None else not_live | disabled, **props)


# ---------------------------------------------------------------- dialogs


def confirm_dialog(
    title,
    description,
    *,
    open,  # noqa: A002 - Radix's name for it
    confirm: str,
    on_confirm,
    on_cancel,
    confirm_id: str,
    cancel: str = "Cancel",
    cancel_id: str | None = None,
    danger: bool = True,
    on_open_change=None,
) -> rx.Component:
    """Ask before something that cannot be undone. `open` follows the state, and both buttons are
    plain buttons: the dialog closes when the state says so, never before the state has read what
    to do. Escape cancels (or calls `on_open_change` with False)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.button(cancel, variant="soft", color_scheme=MUTED, on_click=on_cancel, id=cancel_id),
                rx.button(confirm, color_scheme=DANGER if danger else ACCENT, on_click=on_confirm, id=confirm_id),
                spacing=STACK_GAP,
                justify="end",
                margin_top="1em",
                wrap="wrap",
            ),
            max_width="min(28em, calc(100vw - 2em))",
        ),
        open=open,
        on_open_change=on_open_change or on_cancel,  # only ever "closed": the dialog has no trigger
    )
