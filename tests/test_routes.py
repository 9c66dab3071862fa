"""One routes.py: paths built from lesson ids, the OAuth callback, and the catalog's beginner-first order."""

from __future__ import annotations

import pytest

from decode_data import routes
from decode_data.services.lessons import LEVELS, list_lessons
from decode_data.settings import REPO_ROOT


def test_paths_from_a_lesson_id():
    assert routes.lesson("hello_dbt") == "/lessons/hello_dbt"
    assert routes.lesson_query("hello_dbt") == "/lessons/hello_dbt/query"
    assert routes.oauth_callback("github") == "/auth/callback/github"
    assert routes.AFTER_SIGN_IN == routes.DASHBOARD


@pytest.mark.parametrize(
    ("path", "lesson_id"),
    [("/lessons/hello_dbt", "hello_dbt"), ("/lessons/hello_dbt/query", "hello_dbt"), ("/dashboard", ""), ("/", "")],
)
def test_lesson_id_from_path(path, lesson_id):
    assert routes.lesson_id_from_path(path) == lesson_id


def test_paths_work_on_reflex_vars_too():
    import reflex as rx

    path = routes.lesson(rx.Var.create("cafe_chain"))
    assert isinstance(path, rx.Var) and "/lessons/" in str(path)


def test_the_app_registers_every_page_route():
    from decode_data.decode_data import app

    pages = {route.strip("/") for route in app._unevaluated_pages}
    for route in (routes.SIGN_IN, routes.LOGIN, routes.REGISTER, routes.DASHBOARD, routes.PROGRESS, routes.SETTINGS):
        assert route.strip("/") in pages, route
    assert {"lessons/[lesson]", "lessons/[lesson]/query", "auth/callback/[provider]"} <= pages


def test_the_catalog_lists_lessons_for_a_beginner_first():
    lessons = list_lessons(REPO_ROOT / "dbt_template")
    assert lessons[0].id == "hello_dbt"
    ranks = [LEVELS.index(lesson.level) for lesson in lessons]
    assert ranks == sorted(ranks)
