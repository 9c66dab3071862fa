"""Password hashing (Argon2id through argon2-cffi) and the password rules of sign-up.

Verifying against a throw-away hash when there is no account (or no password) makes a wrong
username cost as long as a wrong password, so timing does not tell which accounts exist.
"""

from __future__ import annotations

import contextlib
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from decode_data.services.auth.errors import AuthError

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # long enough for any passphrase, short enough not to be a DoS

# argon2-cffi's defaults follow RFC 9106's recommendation; when a release raises them,
# check_needs_rehash() notices old hashes and sign-in upgrades them.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, new hash to store or None). A missing hash never matches but costs the same."""
    if len(password) > MAX_PASSWORD_CHARS:  # sign-up never allowed it: no need to spend a hash on it
        return False, None
    if not password_hash:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return False, None
    try:
        _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if _hasher.check_needs_rehash(password_hash):
        return True, _hasher.hash(password)
    return True, None


def check_password_rules(password: str, username: str = "", email: str = "") -> None:
    """Raise AuthError(field="password") when a new password is too easy to guess."""
    password = password or ""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AuthError(f"Use at least {MIN_PASSWORD_CHARS} characters for your password.", "password")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AuthError(f"Use at most {MAX_PASSWORD_CHARS} characters for your password.", "password")
    if password.isdigit():
        raise AuthError("A password of digits only is easy to guess: add letters or symbols.", "password")
    if password.strip().lower() in {username.strip().lower(), email.strip().lower()}:
        raise AuthError("Your password cannot be your username or email.", "password")
