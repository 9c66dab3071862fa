"""Abuse limits (issue 12): the sign-in lock's cap across addresses, the trusted-proxy rule for the
client address, and rate limits on sign-ups, API writes and dbt jobs. Real SQLite app database."""

from __future__ import annotations

import uuid
import warnings
from datetime import timedelta

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette suggests httpx2, which is not a dependency here
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from decode_data import settings as settings_module
from decode_data.api import api_app
from decode_data.models import utcnow
from decode_data.services import rate_limits
from decode_data.services.auth import AccountLocked, AuthError, authenticate, register
from decode_data.services.auth.api_tokens import create_token
from decode_data.services.client_address import client_address
from decode_data.services.dbt_command import parse_command_line
from decode_data.services.learners import get_or_create_learner
from decode_data.services.rate_limits import RateLimited
from decode_data.states import check as check_state
from decode_data.states import runner as runner_state

PASSWORD = "correct horse battery"
MODEL = "/api/v1/lessons/hello_dbt/files/models/stg_customers.sql"


pytestmark = pytest.mark.usefixtures("fast_hashing")


def _limits(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    settings_module.reset_settings()


def _clock(monkeypatch, at):
    monkeypatch.setattr(rate_limits, "utcnow", lambda: at)


# -- the sign-in lock ------------------------------------------------------------------------------


def test_failures_from_rotating_addresses_lock_the_account_for_everyone(db_session):
    register(db_session, "ada", "ada@example.com", PASSWORD)
    t0 = utcnow()
    for n in range(19):  # 19 addresses, one guess each: no address reaches its own 5
        with pytest.raises(AuthError) as caught:
            authenticate(db_session, "ada", "wrong password!", f"198.51.100.{n}", now=t0)
        assert not isinstance(caught.value, AccountLocked)
    with pytest.raises(AccountLocked, match="Try again in 15 minutes"):  # the 20th locks the account
        authenticate(db_session, "ada", "wrong password!", "198.51.100.99", now=t0)
    with pytest.raises(AccountLocked):  # for everyone, the right password and a fresh address too
        authenticate(db_session, "ada", PASSWORD, "203.0.113.1", now=t0 + timedelta(minutes=14))
    assert authenticate(db_session, "ada", PASSWORD, "203.0.113.1", now=t0 + timedelta(minutes=16)).username == "ada"


def test_client_address_believes_forwarded_for_only_as_far_as_trusted_proxies():
    forged = "6.6.6.6, 198.51.100.7"  # the client wrote 6.6.6.6; the one proxy appended the real address
    assert client_address("10.0.0.2", forged, 0) == "10.0.0.2"  # no proxies: the header is ignored
    assert client_address("10.0.0.2", forged, 1) == "198.51.100.7"
    assert client_address("10.0.0.2", forged, 2) == "6.6.6.6"
    assert client_address("10.0.0.2", "198.51.100.7", 2) == "10.0.0.2"  # shorter than the chain: the peer
    assert client_address("10.0.0.2", ["6.6.6.6", "198.51.100.7"], 1) == "198.51.100.7"  # repeated headers
    assert client_address("", None, 1) is None
    assert len(client_address("x" * 500, None, 0)) == 64


def test_the_forms_take_the_address_through_the_trusted_proxy_setting(db_session, monkeypatch):
    """The sign-up endpoint counts per client address: X-Forwarded-For only as far as proxies are trusted."""
    _limits(monkeypatch, DECODE_DATA_SIGNUPS_PER_HOUR=1)
    origin = {"Origin": "http://127.0.0.1:3000"}

    def sign_up(client, name: str, forwarded: str) -> int:
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD, "confirm": PASSWORD}
        return client.post("/session/register", json=body, headers={**origin, "X-Forwarded-For": forwarded}).status_code

    with TestClient(api_app) as client:
        # Default: a spoofed header changes nothing, every request is the TCP peer's.
        assert sign_up(client, "peer1", "6.6.6.6") == 200
        assert sign_up(client, "peer2", "7.7.7.7") == 429
        _limits(monkeypatch, DECODE_DATA_SIGNUPS_PER_HOUR=1, DECODE_DATA_TRUSTED_PROXIES=1)
        assert sign_up(client, "proxied1", "6.6.6.6, 198.51.100.7") == 200
        assert sign_up(client, "proxied2", "7.7.7.7, 198.51.100.7") == 429  # the same client, whatever it wrote
        assert sign_up(client, "proxied3", "6.6.6.6, 198.51.100.8") == 200  # another client behind the proxy


# -- rate limits -----------------------------------------------------------------------------------


def test_signups_are_limited_per_client_address(db_session, monkeypatch):
    t0 = utcnow()
    _clock(monkeypatch, t0)
    for n in range(5):
        register(db_session, f"user{n}", f"user{n}@example.com", PASSWORD, "203.0.113.7")
    with pytest.raises(RateLimited, match="Too many sign-ups from your network: try again in 60 minutes"):
        register(db_session, "user5", "user5@example.com", PASSWORD, "203.0.113.7")
    register(db_session, "other", "other@example.com", PASSWORD, "198.51.100.2")  # another network
    register(db_session, "cli", "cli@example.com", PASSWORD)  # no address (the CLI): no limit
    _clock(monkeypatch, t0 + timedelta(minutes=50))
    with pytest.raises(RateLimited, match="try again in 10 minutes"):
        register(db_session, "user5", "user5@example.com", PASSWORD, "203.0.113.7")
    _clock(monkeypatch, t0 + timedelta(hours=1, seconds=1))
    assert register(db_session, "user5", "user5@example.com", PASSWORD, "203.0.113.7").username == "user5"


def test_api_writes_are_limited_per_user_with_429_and_retry_after(db_session, monkeypatch):
    _limits(monkeypatch, DECODE_DATA_API_WRITES_PER_MINUTE=3)
    ada = {"Authorization": f"Bearer {create_token(db_session, get_or_create_learner(db_session, 'ada'), 't')[0]}"}
    bob = {"Authorization": f"Bearer {create_token(db_session, get_or_create_learner(db_session, 'bob'), 't')[0]}"}
    body = {"content": "select 1 as id\n"}
    with TestClient(api_app) as client:
        for _ in range(3):
            assert client.put(MODEL, headers=ada, json=body).status_code == 200
        refused = client.put(MODEL, headers=ada, json=body)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["error"].startswith("Too many API writes: try again in")
        assert client.get(MODEL, headers=ada).status_code == 200  # reads are not writes
        assert client.put(MODEL, headers=bob, json=body).status_code == 200  # another user


def test_dbt_jobs_are_limited_per_learner_in_the_ui_and_the_api(db_session, monkeypatch, lesson):
    _limits(monkeypatch, DECODE_DATA_JOBS_PER_10_MINUTES=2, DECODE_DATA_API_WRITES_PER_MINUTE=100)
    ada = get_or_create_learner(db_session, "ada")
    rate_limits.count_job(db_session, ada)
    rate_limits.count_job(db_session, ada)  # the quota is used up: no dbt runs below

    ran = runner_state._run(db_session, ada, lesson, parse_command_line("dbt run", 500), None, "")
    assert ran.status == "rejected"
    assert ran.errors[0].message.startswith("Too many dbt runs and checks in a short time: try again in")
    checked = check_state._check(db_session, ada, lesson, "staging")
    assert checked["passed"] is False and checked["summary"].startswith("Too many dbt runs")

    headers = {"Authorization": f"Bearer {create_token(db_session, ada, 't')[0]}"}
    with TestClient(api_app) as client:
        refused = client.post("/api/v1/lessons/hello_dbt/steps/first_model/check", headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    assert refused.json()["error"].startswith("Too many dbt runs")

    other = get_or_create_learner(db_session, "bob")
    rate_limits.count_job(db_session, other)  # another learner has a quota of their own


def test_limits_are_settings(settings_env, monkeypatch):
    assert (settings_env.trusted_proxies, settings_env.signups_per_hour) == (0, 5)
    assert (settings_env.api_writes_per_minute, settings_env.jobs_per_10_minutes) == (120, 60)
    with pytest.raises(settings_module.SettingsError, match="DECODE_DATA_TRUSTED_PROXIES must be at least 0"):
        settings_module.load_settings({"DECODE_DATA_TRUSTED_PROXIES": "-1"})
    loaded = settings_module.load_settings({"DECODE_DATA_TRUSTED_PROXIES": "2", "DECODE_DATA_SIGNUPS_PER_HOUR": "9"})
    assert (loaded.trusted_proxies, loaded.signups_per_hour) == (2, 9)


def test_old_counters_are_pruned(db_session):
    from sqlmodel import select

    from decode_data.models import RateCounter

    t0 = utcnow() - timedelta(hours=2)
    rate_limits.hit(db_session, "job|user:1", 5, timedelta(minutes=10), "x", now=t0)
    rate_limits.hit(db_session, "job|user:2", 5, timedelta(minutes=10), "x", now=t0)
    rate_limits.hit(db_session, "job|user:2", 5, timedelta(minutes=10), "x")  # a new window prunes
    assert [row.key for row in db_session.exec(select(RateCounter)).all()] == ["job|user:2"]
    rate_limits.hit(db_session, "job|user:3", 5, timedelta(minutes=10), "x", now=t0)
    assert rate_limits.prune_counters(db_session) == 1


def test_rate_counters_count_on_postgresql(settings_env, pg_url):
    """The counter's INSERT .. ON CONFLICT is dialect-specific SQL: the same windows on PostgreSQL."""
    from sqlmodel import Session

    from decode_data.db import get_engine, upgrade_database

    upgrade_database(pg_url)
    key, t0, window = f"job|pg{uuid.uuid4().hex[:10]}", utcnow(), timedelta(minutes=10)
    with Session(get_engine(pg_url)) as session:
        for _ in range(3):
            rate_limits.hit(session, key, 3, window, "Too many dbt runs", now=t0)
        with pytest.raises(RateLimited, match="Too many dbt runs: try again in 9 minutes") as caught:
            rate_limits.hit(session, key, 3, window, "Too many dbt runs", now=t0 + timedelta(minutes=1))
        assert caught.value.retry_after_s == 540
        rate_limits.hit(session, key, 3, window, "Too many dbt runs", now=t0 + window + timedelta(seconds=1))
