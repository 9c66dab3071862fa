"""The page's calls to the backend's sign-in endpoints (decode_data/api/session_routes.py).

They run in the browser, because only an HTTP response can set the HttpOnly session cookie:
the form's fields go straight from the page to the endpoint, never through a state var. Each is
compiled into the component that triggers it (rx.run_script with a JS var), so it can import
Reflex's own `getBackendURL(env.PING)`: the same origin in the production build, the backend
port in --dev. (A script sent by an event handler is eval'ed where those names do not exist.)
After a sign-in or sign-out the next page loads in full, so its websocket carries the new cookie.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.constants import Dirs
from reflex.event import EventSpec
from reflex.utils.imports import ImportVar
from reflex.vars.base import Var, VarData

UNREACHABLE = "The server could not be reached; check your connection and try again."
REFUSED = "The server refused this; please try again."

_BACKEND_IMPORTS = VarData(
    imports={
        f"$/{Dirs.STATE_PATH}": [ImportVar(tag="getBackendURL")],
        "$/env.json": [ImportVar(tag="env", is_default=True)],
    }
)


def _script(code: str, *used: Var) -> Var:
    """JS `code` that may call getBackendURL(env.PING) and embed the JS of the `used` vars."""
    return Var(_js_expr=code, _var_data=VarData.merge(_BACKEND_IMPORTS, *(v._get_all_var_data() for v in used)))


def _backend_url(path_js: str) -> str:
    return f"new URL({path_js}, getBackendURL(env.PING))"


def _post(path: str, body_js: str) -> str:
    """JS: POST `body_js` as JSON; on success load the page the answer names, else return the error."""
    return f"""(async () => {{
  try {{
    const response = await fetch({_backend_url(json.dumps(path))}, {{
      method: "POST", credentials: "include",
      headers: {{"Content-Type": "application/json"}}, body: JSON.stringify({body_js}),
    }});
    const answer = await response.json().catch(() => ({{}}));
    if (response.ok) {{ window.location.assign(answer.next || "/"); return {{error: "", field: "", done: true}}; }}
    return {{error: answer.error || {json.dumps(REFUSED)}, field: answer.field || "", done: false}};
  }} catch (failure) {{
    return {{error: {json.dumps(UNREACHABLE)}, field: "", done: false}};
  }}
}})()"""


def submit_form(form_id: str, path: str, callback) -> EventSpec:
    """Post the form's fields (and the page's ?next=) to `path`; `callback` gets {error, field, done}."""
    body = (
        f"Object.assign(Object.fromEntries(new FormData(document.getElementById({json.dumps(form_id)}))),"
        ' {next: new URLSearchParams(window.location.search).get("next") || ""})'
    )
    return rx.run_script(_script(_post(path, body)), callback=callback)


def post(path: str, callback) -> EventSpec:
    """Post an empty JSON object to `path` (signing out); `callback` gets {error, field, done}."""
    return rx.run_script(_script(_post(path, "{}")), callback=callback)


def load_from_backend(path_prefix: str, name: Var) -> EventSpec:
    """Load `path_prefix + name` of the backend as the page, with this page's ?next= (an OAuth
    start: the backend redirects on to the provider)."""
    target = (
        f"{json.dumps(path_prefix)} + encodeURIComponent({name!s}) + '?next=' +"
        ' encodeURIComponent(new URLSearchParams(window.location.search).get("next") || "")'
    )
    return rx.run_script(_script(f"window.location.assign({_backend_url(target)})", name))


def forward_to_backend(fallback_message: str, callback) -> EventSpec:
    """The OAuth callback page, met only when the backend runs on another port (--dev): send the
    browser on to the backend's own callback; on one port the backend already answered, so
    `callback` gets `fallback_message` instead of looping."""
    code = (
        "(() => { const target = "
        + _backend_url("window.location.pathname + window.location.search")
        + "; if (target.origin === window.location.origin) return "
        + json.dumps(fallback_message)
        # Once only: React mounts twice in --dev, and the provider's code can be used only once.
        + "; if (!window.decodeDataForwarded) { window.decodeDataForwarded = true;"
        + ' window.location.replace(target); } return ""; })()'
    )
    return rx.run_script(_script(code), callback=callback)
