"""Accounts: password sign-up and sign-in, sessions, OAuth sign-in and API tokens.

Plain Python for the Reflex states, the CLI and the JSON API to call; nothing here imports
Reflex. Every function takes the caller's database Session and commits its own changes.
"""

from decode_data.services.auth.accounts import authenticate, find_user, register
from decode_data.services.auth.api_tokens import create_token, list_tokens, revoke_token, user_for_api_token
from decode_data.services.auth.errors import AccountLocked, AuthError, OAuthLoginError
from decode_data.services.auth.oauth import authorization_url, callback_url, complete_login
from decode_data.services.auth.oauth_providers import Provider, configured_providers
from decode_data.services.auth.sessions import (
    end_all_sessions,
    end_session,
    list_sessions,
    start_session,
    user_for_session,
)

__all__ = [
    "AccountLocked",
    "AuthError",
    "OAuthLoginError",
    "Provider",
    "authenticate",
    "authorization_url",
    "callback_url",
    "complete_login",
    "configured_providers",
    "create_token",
    "end_all_sessions",
    "end_session",
    "find_user",
    "list_sessions",
    "list_tokens",
    "register",
    "revoke_token",
    "start_session",
    "user_for_api_token",
    "user_for_session",
]
