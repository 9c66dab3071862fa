"""The JSON API under /api/v1 (Starlette, mounted into the Reflex app): routes.py and support.py;
plus the browser's sign-in and sign-out endpoints under /session and the OAuth callback (session_routes.py)."""

from decode_data.api.routes import api_app

__all__ = ["api_app"]
