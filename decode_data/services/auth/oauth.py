"""Sign-in through GitHub, Google or any OpenID Connect provider (authorization code + PKCE).

authorization_url() stores the pending sign-in (state, PKCE verifier, nonce) in the database and
returns the provider's URL; complete_login() takes the callback's query parameters, uses up that
state (once, before it expires), exchanges the code and links the identity to a user:
the same provider account -> the same user; else a user with the same verified email; else a new
user. An email the provider does not vouch for is never used to link or create an account.

Login CSRF: the state is only bound to the database here. The UI should also keep it in a
short-lived cookie when it redirects, and pass that back as `browser_state`, so a callback URL
sent by someone else cannot sign a person into the sender's account.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from authlib.common.security import generate_token
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from decode_data import routes
from decode_data.models import OAuthAccount, OAuthState, User, utcnow
from decode_data.services.auth.accounts import unique_username, user_by_email
from decode_data.services.auth.errors import OAuthLoginError
from decode_data.services.auth.oauth_identity import Identity, authorization_request, fetch_identity
from decode_data.services.auth.oauth_providers import Provider, get_provider
from decode_data.services.rate_limits import RateLimited, count_signup
from decode_data.settings import get_settings

log = logging.getLogger(__name__)
STATE_TTL = timedelta(minutes=10)


def callback_url(provider: Provider | str) -> str:
    """The redirect URI to register at the provider: PUBLIC_URL + /auth/callback/<name>."""
    name = provider.name if isinstance(provider, Provider) else provider
    return get_settings().public_url + routes.oauth_callback(name)


def authorization_url(
    session: Session, provider: Provider | str, redirect_uri: str | None = None, *, now: datetime | None = None
) -> tuple[str, OAuthState]:
    """(URL to send the browser to, the pending state stored for the callback). Commits."""
    provider = get_provider(provider)
    now = now or utcnow()
    pending = OAuthState(
        state=generate_token(43),
        provider=provider.name,
        code_verifier=generate_token(64),
        nonce=generate_token(32),
        redirect_uri=redirect_uri or callback_url(provider),
        created_at=now,
        expires_at=now + STATE_TTL,
    )
    url = authorization_request(provider, pending.redirect_uri, pending.state, pending.code_verifier, pending.nonce)
    session.exec(delete(OAuthState).where(OAuthState.expires_at <= now))  # abandoned sign-ins
    session.add(pending)
    session.commit()
    return url, pending


def complete_login(
    session: Session,
    provider: Provider | str,
    callback_params: Mapping[str, str],
    redirect_uri: str | None = None,
    *,
    browser_state: str | None = None,
    client: str | None = None,
    now: datetime | None = None,
) -> User:
    """The user this callback signs in. Raises OAuthLoginError with a message for the person.

    `client` (the browser's address) counts a new account against the sign-up limit, as the
    password form does: a provider that hands out throw-away identities buys no more accounts."""
    provider = get_provider(provider)
    now = now or utcnow()
    params = {k: (v[0] if isinstance(v, (list, tuple)) else v) for k, v in callback_params.items()}
    state = params.get("state") or ""
    if browser_state is not None and not hmac.compare_digest(browser_state.encode(), state.encode()):
        raise OAuthLoginError("This sign-in was started in another browser or tab; please start again.")
    pending = _use_state(session, provider, state, now)
    if params.get("error"):
        if params["error"] == "access_denied":
            raise OAuthLoginError(f"You cancelled signing in with {provider.label}.")
        raise OAuthLoginError(f"{provider.label} could not sign you in ({params['error']}); please start again.")
    if redirect_uri is not None and redirect_uri != pending.redirect_uri:
        raise OAuthLoginError("This sign-in came back to another address than it started from; start again.")
    if not params.get("code"):
        raise OAuthLoginError(f"{provider.label} sent no authorization code; please start again.")
    identity = fetch_identity(provider, params["code"], pending.code_verifier, pending.nonce, pending.redirect_uri)
    return link_identity(session, provider, identity, client=client, now=now)


def _use_state(session: Session, provider: Provider, state: str, now: datetime) -> OAuthState:
    """Take the pending state out of the database: a DELETE that only one request can win."""
    pending = session.get(OAuthState, state, populate_existing=True) if state else None
    if pending is None or pending.provider != provider.name:
        raise OAuthLoginError("This sign-in link is unknown or was already used; please start again.")
    taken = session.exec(delete(OAuthState).where(OAuthState.state == state)).rowcount
    session.commit()
    if taken != 1:
        raise OAuthLoginError("This sign-in link is unknown or was already used; please start again.")
    if pending.expires_at <= now:
        raise OAuthLoginError("This sign-in took too long and expired; please start again.")
    return pending


def link_identity(
    session: Session, provider: Provider, identity: Identity, *, client: str | None = None, now: datetime | None = None
) -> User:
    """The user for a provider identity: linked before, else by verified email, else new. Commits."""
    now = now or utcnow()
    for _attempt in range(3):
        account = session.exec(
            select(OAuthAccount).where(OAuthAccount.provider == provider.name, OAuthAccount.subject == identity.subject)
        ).first()
        if account is not None:
            account.last_login_at = now
            if identity.email_verified and identity.email:
                account.email = identity.email
            session.add(account)
            session.commit()
            return session.get(User, account.user_id)
        if not (identity.email and identity.email_verified):
            raise OAuthLoginError(
                f"{provider.label} has not verified an email address for your account, so we "
                f"cannot link or create an account. Verify your email at {provider.label}, "
                "then try again."
            )
        user = user_by_email(session, identity.email)
        if user is not None and user.password_hash and not _has_verified(session, user):
            # Nobody proved that this password account owns the address: whoever registered it could
            # be squatting someone else's email, and linking would hand them that person's sign-ins.
            raise OAuthLoginError(
                f"An account with this email already signs in with a password. Sign in "
                f"with your password; {provider.label} can be linked once your email is "
                "verified."
            )
        if user is None:
            try:
                count_signup(session, client, now)
            except RateLimited as exc:
                raise OAuthLoginError(exc.message) from exc
            user = User(username=unique_username(session, identity.email), email=identity.email)
            session.add(user)
            session.flush()
        session.add(
            OAuthAccount(
                user_id=user.id,
                provider=provider.name,
                subject=identity.subject,
                email=identity.email,
                created_at=now,
                last_login_at=now,
            )
        )
        try:
            session.commit()
        except IntegrityError:  # a concurrent sign-in linked or created the same account first
            session.rollback()
            continue
        log.info("linked a %s account to user %s", provider.name, user.id)
        session.refresh(user)
        return user
    raise OAuthLoginError("Signing in collided with another sign-in; please try again.")


def _has_verified(session: Session, user: User) -> bool:
    """True when a provider has vouched for this user's email (it signed in through one)."""
    return session.exec(select(OAuthAccount.id).where(OAuthAccount.user_id == user.id)).first() is not None
