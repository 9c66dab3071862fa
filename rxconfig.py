"""Reflex configuration: everything environment-driven comes from decode_data.settings.

Ports and host follow Reflex's own overrides (REFLEX_FRONTEND_PORT, REFLEX_BACKEND_PORT,
REFLEX_BACKEND_HOST or the `reflex run` flags); the backend binds to 127.0.0.1 unless told
otherwise so a fresh install is never exposed on the network by accident.
"""

import reflex as rx
from reflex.plugins import RadixThemesPlugin, SitemapPlugin

from decode_data.frontend_build import reuse_unchanged_builds
from decode_data.settings import get_settings

settings = get_settings()
if settings.database_url.startswith("sqlite"):
    # SQLite creates the file but not its folder, and Reflex opens the database at startup.
    settings.data_dir.mkdir(parents=True, exist_ok=True)

config = rx.Config(
    app_name="decode_data",
    db_url=settings.database_url,
    backend_host="127.0.0.1",
    # Credentials (the session cookie) are accepted from the app's own page only, not every origin.
    cors_allowed_origins=settings.allowed_origins,
    plugins=[RadixThemesPlugin(theme=rx.theme(accent_color="teal", radius="medium"))],
    # A private learning app has nothing for search engines to index.
    disable_plugins=[SitemapPlugin],
    # Self-hosted and private: no phone-home, no third-party badge.
    telemetry_enabled=False,
    show_built_with_reflex=False,
)

# A restart serves the last production build of the frontend when nothing it is made from changed.
reuse_unchanged_builds()
