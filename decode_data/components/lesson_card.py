"""One lesson in the catalog: what it teaches, how hard, how long."""

from __future__ import annotations

import reflex as rx

LEVEL_COLORS = {"beginner": "grass", "intermediate": "amber", "advanced": "tomato"}


def lesson_card(lesson: rx.Var[dict[str, str]]) -> rx.Component:
    """A card for a lesson dict from CatalogState (keys: id, title, summary, level, minutes)."""
    return rx.card(
        rx.vstack(
            rx.heading(lesson["title"], size="4", as_="h3"),
            rx.text(lesson["summary"], color_scheme="gray", size="2"),
            rx.hstack(
                rx.badge(
                    lesson["level"],
                    color_scheme=rx.match(
                        lesson["level"],
                        *LEVEL_COLORS.items(),
                        "gray",
                    ),
                    variant="soft",
                ),
                rx.text(lesson["minutes"], " min", size="1", color_scheme="gray"),
                align="center",
                spacing="2",
            ),
            spacing="2",
            align="start",
        ),
        width="100%",
    )
