"""Browser sessions: only a hash is stored, they expire, and signing out really ends them."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlmodel import select

from decode_data.models import User, UserSession, utcnow
from decode_data.services.auth import end_all_sessions, end_session, list_sessions, start_session, user_for_session
from decode_data.services.auth.sessions import prune_sessions
from decode_data.services.learners import get_or_create_learner
from decode_data.settings import reset_settings


def test_a_session_finds_its_user_and_stores_only_a_hash(db_session, learner):
    token = start_session(db_session, learner, "Mozilla/5.0 " + "x" * 500)
    assert len(token) >= 43
    assert user_for_session(db_session, token).id == learner.id
    row = db_session.exec(select(UserSession)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in row.model_dump().values()}
    assert len(row.user_agent) == 200 and row.expires_at - row.created_at == timedelta(days=14)
    for bad in (None, "", "x", token + "x", token.upper()):
        assert user_for_session(db_session, bad) is None


def test_sessions_expire_after_session_days(db_session, learner, monkeypatch):
    monkeypatch.setenv("SESSION_DAYS", "2")
    reset_settings()
    t0 = utcnow()
    token = start_session(db_session, learner, now=t0)
    assert user_for_session(db_session, token, now=t0 + timedelta(days=2, seconds=-1)) is not None
    assert user_for_session(db_session, token, now=t0 + timedelta(days=2)) is None


def test_sign_out_ends_this_session_only(db_session, learner):
    laptop, phone = start_session(db_session, learner), start_session(db_session, learner)
    end_session(db_session, laptop)
    end_session(db_session, laptop)  # twice is fine, and so is nonsense
    end_session(db_session, "not-a-token")
    assert user_for_session(db_session, laptop) is None
    assert user_for_session(db_session, phone).id == learner.id
    assert len(list_sessions(db_session, learner)) == 1


def test_sign_out_everywhere_can_keep_the_current_browser(db_session, learner):
    grace = get_or_create_learner(db_session, "grace")
    tokens = [start_session(db_session, learner) for _ in range(3)]
    other = start_session(db_session, grace)
    assert end_all_sessions(db_session, learner, keep_token=tokens[0]) == 2
    assert [user_for_session(db_session, t) is not None for t in tokens] == [True, False, False]
    assert end_all_sessions(db_session, learner) == 1
    assert user_for_session(db_session, tokens[0]) is None
    assert user_for_session(db_session, other).id == grace.id


def test_last_seen_is_written_at_most_once_a_minute(db_session, learner):
    t0 = utcnow()
    token = start_session(db_session, learner, now=t0)
    user_for_session(db_session, token, now=t0 + timedelta(seconds=59))
    row = db_session.exec(select(UserSession)).one()
    assert row.last_seen_at == t0
    user_for_session(db_session, token, now=t0 + timedelta(seconds=61))
    db_session.refresh(row)
    assert row.last_seen_at == t0 + timedelta(seconds=61)
    assert db_session.get(User, learner.id).last_seen_at == t0 + timedelta(seconds=61)


def test_pruning_deletes_only_ended_sessions_and_users_take_theirs_along(db_session, learner):
    t0 = utcnow()
    live = start_session(db_session, learner, now=t0)
    ended = start_session(db_session, learner, now=t0)
    start_session(db_session, learner, now=t0 - timedelta(days=30))  # expired long ago
    end_session(db_session, ended)
    assert prune_sessions(db_session, now=t0) == 2
    assert user_for_session(db_session, live, now=t0) is not None
    db_session.delete(db_session.get(User, learner.id))
    db_session.commit()
    assert db_session.exec(select(UserSession)).all() == []


def test_a_sign_in_drops_ended_sessions(db_session, learner):
    """Nothing else has to prune: every sign-in deletes the sessions that can never be used again."""
    t0 = utcnow()
    signed_out = start_session(db_session, learner, now=t0)
    end_session(db_session, signed_out)
    start_session(db_session, learner, now=t0 - timedelta(days=30))  # expired long ago
    live = start_session(db_session, learner, now=t0)
    rows = db_session.exec(select(UserSession)).all()
    assert len(rows) == 1 and user_for_session(db_session, live, now=t0) is not None
