"""Lesson text comes from imported lessons: it is rendered as Markdown without raw HTML, so an
`<img onerror=...>` in a lesson is shown as text and never runs (attack)."""

from __future__ import annotations

import ast
import pathlib

import reflex as rx

from decode_data.components import ui

COMPONENTS = pathlib.Path(__file__).resolve().parents[1] / "decode_data"


def test_lesson_markdown_has_no_raw_html_plugin():
    assert "rehypeRaw" in str(rx.markdown("x"))  # Reflex's default would run raw HTML
    assert "rehypeRaw" not in str(ui.lesson_markdown("<img src=x onerror=alert(1)>"))


def test_no_page_renders_markdown_any_other_way():
    """Every Markdown on a page goes through ui.lesson_markdown."""
    offenders = []
    for path in COMPONENTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            markdown = isinstance(node, ast.Call) and ast.unparse(node.func) == "rx.markdown"
            if markdown and (path.name != "ui.py" or not any(k.arg == "use_raw" for k in node.keywords)):
                offenders.append(f"{path.relative_to(COMPONENTS)}:{node.lineno}")
    assert offenders == []


def test_dollar_amounts_stay_text_and_no_tex_is_loaded():
    """Lessons talk about money: with Reflex's default math plugins "$5 a month, $60 a year"
    would turn into a formula (and every lesson page would load KaTeX for it)."""
    default = str(rx.markdown("x"))
    assert "remarkMath" in default and "rehypeKatex" in default
    lesson = str(ui.lesson_markdown("$5 a month, $60 a year"))
    assert "remarkMath" not in lesson and "rehypeKatex" not in lesson
    assert "remarkGfm" in lesson  # tables and lists still render
