"""Errors a sign-in or sign-up form can show as they are: the message is for the person.

They are ValueErrors (bad input, not a server fault); `field` names the form field the message
belongs under, or is None for a message about the whole form.
"""

from __future__ import annotations

import math
from datetime import datetime


class AuthError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class AccountLocked(AuthError):
    """Too many failed sign-ins: no password is even checked until `retry_at`."""

    def __init__(self, retry_at: datetime, now: datetime):
        minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
        super().__init__(
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' * (minutes != 1)} "
            f"(after {retry_at:%H:%M} UTC).",
            field=None,
        )
        self.retry_at = retry_at


class OAuthLoginError(AuthError):
    """A sign-in through a provider did not finish; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message, field=None)
