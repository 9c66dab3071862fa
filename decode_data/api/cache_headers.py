"""Cache headers for the built frontend, which Reflex serves without any.

Without them a browser asks again for each of the lesson page's ~60 script chunks on every
visit (a 304 each, six at a time): a warm page load waited on that waterfall. The build names
every file under /assets/ by its content hash, so those never change and may be kept for a
year; a page (HTML) names the current assets, so it is always revalidated (a new build is
seen at once, never a page pointing at assets that are gone).
"""

from __future__ import annotations

from reflex.config import get_config

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"


def _cache_control(path: str, headers: list[tuple[bytes, bytes]], assets: str) -> bytes | None:
    if any(name.lower() == b"cache-control" for name, _ in headers):
        return None  # the route chose its own
    if path.startswith(assets):
        return IMMUTABLE
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    return REVALIDATE if content_type.startswith(b"text/html") else None


def with_cache_headers(app):
    """ASGI middleware (an rx.App api_transformer) adding Cache-Control to the frontend's files."""
    assets = get_config().prepend_frontend_path("/assets/")

    async def asgi(scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            return await app(scope, receive, send)

        async def send_with_cache_control(message):
            if message["type"] == "http.response.start" and message.get("status") in (200, 304):
                headers = list(message.get("headers") or [])
                value = _cache_control(scope["path"], headers, assets)
                if value is not None:
                    message = {**message, "headers": [*headers, (b"cache-control", value)]}
            await send(message)

        return await app(scope, receive, send_with_cache_control)

    return asgi
