"""The sign-in and register forms' state: only what the page shows (busy, the error, its field).

The fields themselves go from the page straight to the backend's HTTP endpoints
(backend_calls.submit_form), which validate, rate-limit and set the HttpOnly session cookie;
the endpoint's answer comes back here to show a refusal under its field. One page shows one
form, so both forms share this state; each page load starts it afresh.
"""

from __future__ import annotations

import reflex as rx

from decode_data.states import backend_calls
from decode_data.states.auth import AuthState


class AccountFormState(AuthState):
    """One error message per field plus one for the form, cleared on each submit."""

    error: str = ""
    field: str = ""
    busy: bool = False

    @rx.event
    def clear(self):
        """on_load of /signin and /register: no error or spinner left from an earlier visit."""
        self.error, self.field, self.busy = "", "", False

    @rx.event
    def begin(self):
        self.error, self.field, self.busy = "", "", True

    @rx.event
    def show_result(self, result: dict):
        """The endpoint's answer: on success the page is already loading the next one."""
        if result.get("done"):
            return
        self.error = str(result.get("error") or backend_calls.REFUSED)
        self.field, self.busy = str(result.get("field") or ""), False
