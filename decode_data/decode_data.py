"""The Reflex app: pages, the JSON API and app-wide error handling are registered here."""

import asyncio
import logging

import reflex as rx

# Reflex compares the app database with the tables it knows at startup: register ours, or it
# reports every migrated table as a pending change (and `reflex db makemigrations` would drop them).
import decode_data.models  # noqa: F401
from decode_data import routes
from decode_data.api import api_app
from decode_data.api.cache_headers import with_cache_headers
from decode_data.components import ui
from decode_data.components.route_preload import route_preload
from decode_data.pages import auth_pages, dashboard, lesson, progress, query, settings
from decode_data.pages.landing import PITCH, PRODUCT_NAME, landing
from decode_data.services.outages import outage_reason
from decode_data.states.access import NotSignedIn
from decode_data.states.auth import AuthState
from decode_data.states.catalog import CatalogState

logger = logging.getLogger("decode_data")


def handle_backend_error(exception: Exception):
    """A lost session goes to sign in; anything else is logged and shown in plain words."""
    if isinstance(exception, NotSignedIn):
        return AuthState.require_login  # to sign in, and back here afterwards
    if reason := outage_reason(exception):  # passes on its own: no stack trace, say what it is
        logger.warning("An event met an outage: %s (%s)", reason, exception)
        return rx.toast.error(
            f"Sorry, {reason} right now. Your saved work is safe; please try again in a moment.",
            id="backend_error",
            position="top-center",
        )
    logger.error("Unhandled error in an event handler", exc_info=exception)
    return rx.toast.error(
        "Something went wrong on our side. Your saved work is safe; please try again.",
        id="backend_error",
        position="top-center",
    )


async def warm_engine():
    """Start the dbt workers with the server, so a learner's first Run does not wait for them."""
    from decode_data.services.engine import get_engine

    try:
        await asyncio.to_thread(get_engine)
    except Exception:  # the app still serves pages; runs report the problem when tried
        logger.exception("The dbt engine could not start")


app = rx.App(
    api_transformer=[api_app, with_cache_headers],  # the API mounted, then cache headers on the whole app
    backend_exception_handler=handle_backend_error,
    head_components=[route_preload()],  # a page's own chunks load with the app's
    style={"breakpoints": ui.BREAKPOINTS},  # style props switch at Radix's widths, like component props
)
app.register_lifespan_task(warm_engine)


def _page(component, route: str, title: str, on_load) -> None:
    app.add_page(component, route=route, title=f"{title} · {PRODUCT_NAME}", on_load=on_load)


app.add_page(
    landing,
    route=routes.HOME,
    title=PRODUCT_NAME,
    description=PITCH,
    on_load=[AuthState.load_identity, CatalogState.load],
)
_page(auth_pages.signin_page, routes.SIGN_IN, "Sign in", auth_pages.SIGNIN_ON_LOAD)
_page(auth_pages.redirect_page, routes.LOGIN, "Sign in", auth_pages.LOGIN_ON_LOAD)
_page(auth_pages.register_page, routes.REGISTER, "Register", auth_pages.SIGNIN_ON_LOAD)
_page(auth_pages.oauth_callback_page, routes.OAUTH_CALLBACK, "Signing in", auth_pages.CALLBACK_ON_LOAD)
_page(dashboard.dashboard_page, routes.DASHBOARD, "Lessons", dashboard.ON_LOAD)
_page(lesson.lesson_page, routes.LESSON, "Lesson", lesson.ON_LOAD)
_page(query.query_page, routes.LESSON_QUERY, query.TITLE, query.ON_LOAD)
_page(progress.progress_page, routes.PROGRESS, progress.TITLE, progress.ON_LOAD)
_page(settings.settings_page, routes.SETTINGS, settings.TITLE, settings.ON_LOAD)
