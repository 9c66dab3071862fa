"""The app compiles, starts and serves: the production build that scripts/start runs, no mocks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from decode_data.pages.landing import PITCH, PRODUCT_NAME
from decode_data.services.lessons import list_lessons
from tests.live_app import http_get

pytestmark = pytest.mark.app


def test_backend_and_built_frontend_answer_on_one_port(live_app):
    status, _, body = http_get(f"{live_app.url}/ping")
    assert (status, body.strip('"')) == (200, "pong")
    status, content_type, html = http_get(f"{live_app.url}/")
    assert status == 200 and "text/html" in content_type and "<html" in html
    status, _, body = http_get(f"{live_app.url}/api/v1/lessons")
    assert status == 401 and "error" in body  # the JSON API is mounted, and wants a token


def test_built_assets_are_cached_and_pages_revalidated(live_app):
    """The build's content-hashed files are kept by the browser (no 304 round trip per script
    chunk on every visit); pages are always revalidated, so a new build is seen at once."""
    import re
    import urllib.request

    def headers(path: str):
        with urllib.request.urlopen(f"{live_app.url}{path}", timeout=10) as response:
            return response.headers, response.read().decode("utf-8", "replace")

    page_headers, html = headers("/signin")
    assert page_headers["Cache-Control"] == "no-cache"
    scripts = re.findall(r'(/assets/[^"]+\.js)"', html)
    assert scripts, html[:500]
    script_headers, _ = headers(scripts[0])
    assert script_headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Cache-Control" not in headers("/ping")[0]  # the backend's own answers are left alone


def _lesson_route(page, live_app) -> tuple[dict, dict]:
    """React Router's manifest as a visitor of /lessons/hello_dbt gets it, and the lesson route's entry."""
    page.goto(f"{live_app.url}/lessons/hello_dbt")
    page.wait_for_selector("#signin-submit")  # not signed in: the app took over and redirected
    manifest = page.evaluate("window.__reactRouterManifest")
    return manifest, next(r for r in manifest["routes"].values() if r.get("path") == "lessons/:lesson")


def test_a_page_with_a_path_parameter_preloads_its_own_chunks(page, live_app):
    """/lessons/<id> is served from the shared fallback page, which names only the app's root
    scripts: the head script preloads the lesson route's module and imports from React Router's
    manifest as soon as it arrives (components/route_preload.py)."""
    manifest, route = _lesson_route(page, live_app)
    in_the_html = {manifest["entry"]["module"], *manifest["entry"]["imports"], *manifest["routes"]["root"]["imports"]}
    ours = page.evaluate("[...document.querySelectorAll('link[data-route-preload]')].map(l => l.getAttribute('href'))")
    assert route["module"] in ours and set(route["imports"]) <= set(ours) | in_the_html
    assert not page.errors


def test_the_lesson_page_loads_one_highlighter_and_no_tex(page, live_app):
    """What the lesson route's scripts leave out: KaTeX (lesson text renders without TeX) and a
    second highlighter (read-only SQL uses the editor's CodeMirror, code_editor.code_view)."""
    _manifest, route = _lesson_route(page, live_app)
    scripts = {path: http_get(f"{live_app.url}{path}")[2] for path in (route["module"], *route["imports"])}
    assert any("@codemirror" in text or "cm-editor" in text for text in scripts.values())
    for marker in ("katex", "refractor", "prism-"):
        assert not [path for path, text in scripts.items() if marker in text.lower()], marker


def test_landing_page_lists_every_lesson_of_the_catalog(page, live_app, settings_env):
    page.goto(live_app.url)
    body = page.locator("body")
    for lesson in list_lessons():
        expect(body).to_contain_text(lesson.title)
    expect(body).to_contain_text(PRODUCT_NAME)
    expect(body).to_contain_text(PITCH)
    assert not page.errors


def test_the_page_uses_no_third_party_host(page, live_app):
    """Self-hosted and offline: every request the pages make goes to the app itself."""
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(f"{live_app.url}/signin")
    page.wait_for_selector("#signin-submit")
    assert hosts == {f"127.0.0.1:{live_app.port}"}


def _with_origin(url: str, origin: str, method: str = "GET") -> tuple[int, dict, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, headers={"Origin": origin})
    if method == "OPTIONS":
        request.add_header("Access-Control-Request-Method", "PUT")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def test_only_the_apps_own_origin_may_talk_to_the_backend(live_app):
    """CORS is not Reflex's default (every origin, with credentials): another site's page can
    neither open the event websocket nor read API answers with the learner's cookie."""
    socket = f"{live_app.url}/_event/?EIO=4&transport=polling"
    _, _, own = _with_origin(socket, live_app.url)
    assert "origin" not in own.lower()  # the app's own page passes the origin check
    status, _, foreign = _with_origin(socket, "http://evil.example")
    assert status == 400 and "not an accepted origin" in foreign  # socket.io refuses the handshake
    _, headers, _ = _with_origin(f"{live_app.url}/api/v1/lessons", "http://evil.example", method="OPTIONS")
    assert headers.get("access-control-allow-origin", headers.get("Access-Control-Allow-Origin")) in (None, "")
    _, headers, _ = _with_origin(f"{live_app.url}/api/v1/lessons", live_app.url, method="OPTIONS")
    assert live_app.url in (headers.get("access-control-allow-origin") or headers.get("Access-Control-Allow-Origin"))
