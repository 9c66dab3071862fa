"""Sign in with GitHub, Google or any OpenID Connect provider: the buttons and their errors.

The flow itself runs on the backend over HTTP (decode_data/api/session_routes.py): a button
loads /session/oauth/<provider>, which keeps the pending state in an HttpOnly cookie and sends
the browser to the provider; the provider's callback ends on the server, which signs in, sets
the session cookie and loads the next page, or comes back to /signin with a signed reason.
"""

from __future__ import annotations

import reflex as rx

from decode_data.services.auth import configured_providers, signed_notes
from decode_data.states.auth import AuthState

NOT_VALID = "This sign-in link is not valid; please start again."


def provider_buttons() -> list[dict[str, str]]:
    return [{"name": p.name, "label": p.label} for p in configured_providers().values()]


class OAuthState(AuthState):
    providers: list[dict[str, str]] = []
    error: str = ""

    @rx.event
    def load_providers(self):
        """on_load of /signin and /register: the buttons, and why a provider sign-in came back."""
        self.providers = provider_buttons()
        params = self.router.url.query_parameters
        self.error = signed_notes.verified(params.get("oauth_error"), params.get("sig"))

    @rx.event
    def show_error(self, message: str):
        """The callback page's answer when it cannot forward to the backend (see auth_pages)."""
        self.error = message
