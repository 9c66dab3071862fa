"""Sign-up and password sign-in: form errors, Argon2 hashes, rehash, throttling, CLI accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from decode_data.models import LoginAttempt, User, utcnow
from decode_data.services.auth import AccountLocked, AuthError, authenticate, passwords, register
from decode_data.services.auth.accounts import WRONG_CREDENTIALS, unique_username
from decode_data.services.learners import get_or_create_learner
from tests.conftest import CHEAP_HASHER_ARGS

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(**CHEAP_HASHER_ARGS)  # what the fast_hashing fixture hashes with


pytestmark = pytest.mark.usefixtures("fast_hashing")


def test_register_then_sign_in_by_username_or_email(db_session):
    ada = register(db_session, " Ada ", "Ada@Example.COM", PASSWORD)
    assert (ada.username, ada.email) == ("Ada", "ada@example.com")
    assert ada.password_hash.startswith("$argon2id$") and PASSWORD not in ada.password_hash
    for login in ("Ada", "ada", "ada@example.com", " ADA@example.com "):
        assert authenticate(db_session, login, PASSWORD).id == ada.id


@pytest.mark.parametrize(
    "username,email,password,field,message",
    [
        ("a", "a@example.com", PASSWORD, "username", "3 to 32"),
        ("ada lovelace", "a@example.com", PASSWORD, "username", "letters, digits"),
        ("ada@home", "a@example.com", PASSWORD, "username", "letters, digits"),
        ("ada", "not-an-email", PASSWORD, "email", "valid email"),
        ("ada", "a@b", PASSWORD, "email", "valid email"),
        ("ada", "a@example.com", "short", "password", "at least 10 characters"),
        ("ada", "a@example.com", "12345678901", "password", "digits only"),
        ("ada_lovelace", "a@example.com", "ADA_LOVELACE", "password", "cannot be your username"),
        ("ada", "ada.lovelace@example.com", "ada.lovelace@example.com", "password", "cannot be your username or email"),
    ],
)
def test_register_explains_what_to_fix(db_session, username, email, password, field, message):
    with pytest.raises(AuthError, match=message) as caught:
        register(db_session, username, email, password)
    assert caught.value.field == field and isinstance(caught.value, ValueError)
    assert db_session.exec(select(User)).all() == []


def test_register_refuses_taken_usernames_and_emails_whatever_their_case(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    with pytest.raises(AuthError, match="username is taken") as caught:
        register(db_session, "ADA", "other@example.com", PASSWORD)
    assert caught.value.field == "username"
    with pytest.raises(AuthError, match="email exists already") as caught:
        register(db_session, "grace", "ADA@example.com", PASSWORD)
    assert caught.value.field == "email"


def test_wrong_password_and_unknown_login_read_the_same(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    messages = set()
    for login, password in (("ada", "wrong password!"), ("nobody", PASSWORD), ("no@example.com", PASSWORD)):
        with pytest.raises(AuthError) as caught:
            authenticate(db_session, login, password)
        assert not isinstance(caught.value, AccountLocked)
        messages.add((str(caught.value), caught.value.field))
    assert messages == {(WRONG_CREDENTIALS, "password")}
    with pytest.raises(AuthError, match="Enter your username") as caught:
        authenticate(db_session, "  ", "")
    assert caught.value.field == "login"


def test_unknown_logins_cost_a_hash_check_too(db_session, monkeypatch):
    """Constant-ish time: no account (or no password) still runs one Argon2 verification."""
    calls = []

    class Counting(PasswordHasher):
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    get_or_create_learner(db_session, "cli_made")
    for login in ("nobody", "cli_made"):
        with pytest.raises(AuthError):
            authenticate(db_session, login, PASSWORD)
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def test_accounts_without_a_password_cannot_sign_in(db_session, learner):
    assert learner.password_hash is None
    for password in (PASSWORD, "", "None"):
        with pytest.raises(AuthError):
            authenticate(db_session, learner.username, password)


def test_an_outdated_hash_is_upgraded_at_sign_in(db_session, monkeypatch):
    weaker = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    ada = register(db_session, "ada", "ada@example.com", PASSWORD)
    ada.password_hash = weaker.hash(PASSWORD)
    db_session.add(ada)
    db_session.commit()
    old = ada.password_hash
    assert CHEAP.check_needs_rehash(old)
    authenticate(db_session, "ada", PASSWORD)
    db_session.refresh(ada)
    assert ada.password_hash != old and not CHEAP.check_needs_rehash(ada.password_hash)
    assert authenticate(db_session, "ada", PASSWORD).id == ada.id


def _fail(session, login, times, now, client=None):
    for _ in range(times):
        with pytest.raises(AuthError) as caught:
            authenticate(session, login, "wrong password!", client, now=now)
    return caught.value


def test_five_failures_lock_for_fifteen_minutes_then_it_opens(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    t0 = utcnow()
    assert not isinstance(_fail(db_session, "ada", 4, t0), AccountLocked)
    locked = _fail(db_session, "ada", 1, t0 + timedelta(minutes=1))
    assert isinstance(locked, AccountLocked)
    assert locked.retry_at == t0 + timedelta(minutes=16)
    assert "Try again in 15 minutes" in str(locked) and f"{locked.retry_at:%H:%M} UTC" in str(locked)
    with pytest.raises(AccountLocked, match="Try again in 5 minutes"):  # even the right password waits
        authenticate(db_session, "ada", PASSWORD, now=t0 + timedelta(minutes=11))
    with pytest.raises(AccountLocked):  # the email names the same account: same lock
        authenticate(db_session, "ada@example.com", PASSWORD, now=t0 + timedelta(minutes=11))
    assert authenticate(db_session, "ada", PASSWORD, now=t0 + timedelta(minutes=16, seconds=1)).username == "ada"
    assert db_session.exec(select(LoginAttempt)).all() == []  # success forgets the failures


def test_failures_count_within_fifteen_minutes_only_and_success_resets(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    t0 = utcnow()
    _fail(db_session, "ada", 4, t0)
    assert not isinstance(_fail(db_session, "ada", 1, t0 + timedelta(minutes=16)), AccountLocked)
    assert db_session.exec(select(LoginAttempt)).one().failures == 1  # a new window began
    _fail(db_session, "ada", 3, t0 + timedelta(minutes=17))
    authenticate(db_session, "ada", PASSWORD, now=t0 + timedelta(minutes=18))
    assert not isinstance(_fail(db_session, "ada", 4, t0 + timedelta(minutes=19)), AccountLocked)


def test_username_and_email_share_one_counter(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    now = utcnow()
    _fail(db_session, "ada", 2, now)
    _fail(db_session, "ADA@example.com", 2, now)
    assert isinstance(_fail(db_session, "Ada", 1, now), AccountLocked)


def test_client_addresses_count_apart_and_unknown_logins_lock_too(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    now = utcnow()
    assert isinstance(_fail(db_session, "ada", 5, now, client="203.0.113.7"), AccountLocked)
    assert authenticate(db_session, "ada", PASSWORD, "198.51.100.2", now=now).username == "ada"
    assert isinstance(_fail(db_session, "Ghost@Example.com", 5, now), AccountLocked)
    with pytest.raises(AccountLocked):
        authenticate(db_session, "ghost@example.com", PASSWORD, now=now)


def test_typos_of_unknown_logins_do_not_pile_up(db_session):
    """A failure that opens a new window drops the rows whose window and lock are over."""
    t0 = utcnow()
    for login in ("typo1", "typo2", "typo3"):
        _fail(db_session, login, 1, t0)
    _fail(db_session, "locked", 5, t0 + timedelta(minutes=10))  # locked until t0 + 25 min
    _fail(db_session, "later", 1, t0 + timedelta(minutes=20))
    keys = {row.key for row in db_session.exec(select(LoginAttempt))}
    assert keys == {"login:locked", "login:later"}
    _fail(db_session, "much-later", 1, t0 + timedelta(minutes=31))
    assert {row.key for row in db_session.exec(select(LoginAttempt))} == {"login:later", "login:much-later"}


def test_usernames_made_from_emails_are_valid_and_free(db_session):
    register(db_session, "ada.lovelace", "x@example.com", PASSWORD)
    assert unique_username(db_session, "Ada.Lovelace@example.com") == "ada.lovelace-2"
    assert unique_username(db_session, "jo@example.com") == "jo-learner"
    assert unique_username(db_session, "+++@example.com") == "learner"
    assert unique_username(db_session, "a" * 60 + "@example.com") == "a" * 24


def test_absurdly_long_passwords_are_refused_without_hashing(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    with pytest.raises(AuthError, match="at most 1024"):
        register(db_session, "grace", "grace@example.com", "x" * 1025)
    with pytest.raises(AuthError, match="Wrong username"):
        authenticate(db_session, "ada", PASSWORD + "x" * 1025)
