"""Sign-up and password sign-in.

Usernames and emails are unique without regard to case ("Ada" and "ada" are one person to a
reader); emails are stored lower-cased. A login containing "@" is an email, else a username
(usernames cannot contain "@"). Accounts without a password (made by the CLI, or by an OAuth
sign-in) cannot sign in with one, and say so no differently from a wrong password.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from decode_data.models import User, utcnow
from decode_data.services import rate_limits
from decode_data.services.auth import throttle
from decode_data.services.auth.errors import AuthError
from decode_data.services.auth.passwords import check_password_rules, hash_password, verify_password

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_CHARS = 254
WRONG_CREDENTIALS = "Wrong username/email or password."


def clean_username(username: str) -> str:
    name = (username or "").strip()
    if not USERNAME_RE.match(name):
        raise AuthError(
            "A username has 3 to 32 letters, digits, '.', '_' or '-', and starts with a letter or digit.", "username"
        )
    return name


def clean_email(email: str) -> str:
    address = (email or "").strip().lower()
    if len(address) > MAX_EMAIL_CHARS or not EMAIL_RE.match(address):
        raise AuthError("Enter a valid email address, like ada@example.com.", "email")
    return address


def username_taken(session: Session, username: str) -> bool:
    return session.exec(select(User.id).where(func.lower(User.username) == username.lower())).first() is not None


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def find_user(session: Session, login: str) -> User | None:
    """The account a typed login names: by email if it has an "@", else by username (exact case first)."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return user_by_email(session, login)
    matches = session.exec(select(User).where(func.lower(User.username) == login.lower())).all()
    exact = [u for u in matches if u.username == login]
    return exact[0] if exact else (matches[0] if len(matches) == 1 else None)


def register(session: Session, username: str, email: str, password: str, client: str | None = None) -> User:
    """A new account with a password. Raises AuthError naming the field to fix. Commits.

    `client` is the caller's address if known: each address gets DECODE_DATA_SIGNUPS_PER_HOUR new
    accounts an hour (RateLimited after that), counted once the form is otherwise valid.
    """
    username = clean_username(username)
    email = clean_email(email)
    check_password_rules(password, username, email)
    _raise_if_taken(session, username, email)
    rate_limits.count_signup(session, client)
    user = User(username=username, email=email, password_hash=hash_password(password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # someone took the name or email between the check and now
        session.rollback()
        _raise_if_taken(session, username, email)
        raise
    session.refresh(user)
    return user


def _raise_if_taken(session: Session, username: str, email: str) -> None:
    if username_taken(session, username):
        raise AuthError("That username is taken: pick another one.", "username")
    if user_by_email(session, email) is not None:
        raise AuthError("An account with this email exists already: sign in instead.", "email")


def authenticate(
    session: Session, login: str, password: str, client: str | None = None, *, now: datetime | None = None
) -> User:
    """The user whose login and password these are, or AuthError (AccountLocked when throttled).

    `client` is the caller's address if known (see throttle). Upgrades an outdated hash. Commits.
    """
    now = now or utcnow()
    if not (login or "").strip() or not password:
        raise AuthError("Enter your username or email and your password.", "login")
    user = find_user(session, login)
    key = throttle.throttle_key(login, user, client)
    account_key = throttle.throttle_key(login, user)  # the cap across addresses
    throttle.check_not_locked(session, key, now)
    if account_key != key:
        throttle.check_not_locked(session, account_key, now)
    ok, new_hash = verify_password(user.password_hash if user else None, password)
    if not ok:
        locked = throttle.record_failure(session, key, now) is not None
        if account_key != key:
            locked |= throttle.record_failure(session, account_key, now, throttle.MAX_ACCOUNT_FAILURES) is not None
        session.commit()
        if locked:
            throttle.check_not_locked(session, key, now)  # raises AccountLocked with the message
            throttle.check_not_locked(session, account_key, now)
        raise AuthError(WRONG_CREDENTIALS, "password")
    throttle.clear_failures(session, key)  # the account-wide count runs out on its own
    if new_hash:
        user.password_hash = new_hash
        session.add(user)
    session.commit()
    return user


def unique_username(session: Session, email: str) -> str:
    """A free username made from an email's local part: ada.lovelace@x.org -> ada.lovelace(-2...)."""
    base = re.sub(r"[^a-z0-9_.-]+", "-", email.split("@", 1)[0].lower()).strip("-._")[:24]
    if len(base) < 3:
        base = (base + "-learner").strip("-") if base else "learner"
    for n in range(1, 20):
        candidate = base if n == 1 else f"{base}-{n}"
        if not username_taken(session, candidate):
            return candidate
    return f"{base}-{secrets.token_hex(3)}"
