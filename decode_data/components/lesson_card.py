"""One lesson in the catalog: what it teaches, how hard, how long."""

from __future__ import annotations

import reflex as rx

from decode_data.components import ui


def level_badge(level) -> rx.Component:
    """beginner / intermediate / advanced, each in its own colour."""
    return rx.badge(level, color_scheme=ui.color_for(level, ui.LEVEL_COLORS), variant="soft")


def level_and_minutes(level, minutes) -> rx.Component:
    return rx.hstack(level_badge(level), ui.muted(minutes, " min", size="1"), align="center", spacing=ui.GAP)


def lesson_card(lesson: rx.Var[dict[str, str]]) -> rx.Component:
    """A card for a lesson dict from CatalogState (keys: id, title, summary, level, minutes)."""
    return rx.card(
        rx.vstack(
            rx.heading(lesson["title"], size="4", as_="h3"),
            ui.muted(lesson["summary"]),
            level_and_minutes(lesson["level"], lesson["minutes"]),
            spacing=ui.GAP,
            align="start",
        ),
        width="100%",
    )
