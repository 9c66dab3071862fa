"""Settings: safe defaults, loud failures on bad values, no weak secret in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from decode_data.settings import DEV_SECRET_KEY, REPO_ROOT, SettingsError, get_settings, load_settings, reset_settings

STRONG_KEY = "k3Y-9fQ2_xZ7pLm4RtV8wB1nC6dHs0aJ"


def test_defaults_are_safe_for_a_laptop():
    s = load_settings({})
    assert s.env == "development" and not s.production
    assert s.data_dir == (REPO_ROOT / ".data").resolve()
    assert s.database_url == f"sqlite:///{s.data_dir / 'app.db'}"
    assert s.workspaces_dir == s.data_dir / "workspaces"
    assert s.template_dir == (REPO_ROOT / "dbt_template").resolve()
    assert s.secret_key == DEV_SECRET_KEY
    assert s.motherduck_token is None
    assert s.max_file_bytes == 100_000 and s.workers >= 1


def test_data_dir_and_database_url_come_from_env(tmp_path):
    s = load_settings({"DECODE_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://db/app"})
    assert s.data_dir == tmp_path.resolve()
    assert s.database_url == "postgresql://db/app"
    assert (
        load_settings({"DECODE_DATA_DIR": str(tmp_path)}).database_url == f"sqlite:///{tmp_path.resolve() / 'app.db'}"
    )


def test_motherduck_token_is_not_printed():
    s = load_settings({"MOTHERDUCK_TOKEN": "secret-token-value"})
    assert s.motherduck_token == "secret-token-value"
    assert "secret-token-value" not in repr(s)


def test_production_refuses_a_missing_secret_key():
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings({"DECODE_DATA_ENV": "production"})


@pytest.mark.parametrize("weak", ["short", DEV_SECRET_KEY, "a" * 64, "abababababababababababababababab12"])
def test_production_refuses_a_weak_secret_key(weak):
    with pytest.raises(SettingsError, match="SECRET_KEY is too weak"):
        load_settings({"DECODE_DATA_ENV": "production", "SECRET_KEY": weak})


def test_production_accepts_a_strong_secret_key():
    s = load_settings({"DECODE_DATA_ENV": "Production", "SECRET_KEY": STRONG_KEY})
    assert s.production and s.secret_key == STRONG_KEY


def test_unknown_mode_is_rejected():
    with pytest.raises(SettingsError, match="DECODE_DATA_ENV"):
        load_settings({"DECODE_DATA_ENV": "staging"})


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("DECODE_DATA_WORKERS", "two", "DECODE_DATA_WORKERS must be a whole number"),
        ("DECODE_DATA_WORKERS", "0", "DECODE_DATA_WORKERS must be at least 1"),
        ("DECODE_DATA_MAX_FILE_BYTES", "1.5", "must be a whole number"),
        ("DECODE_DATA_JOB_MEMORY_MB", "128", "at least 256"),
        ("DECODE_DATA_JOB_TIMEOUT", "soon", "DECODE_DATA_JOB_TIMEOUT must be a number"),
        ("DECODE_DATA_JOB_TIMEOUT", "-1", "must be positive"),
    ],
)
def test_bad_numbers_are_rejected_with_the_setting_name(name, value, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({name: value})


def test_empty_number_means_default():
    assert load_settings({"DECODE_DATA_WORKERS": ""}).workers >= 1
    assert load_settings({"DECODE_DATA_MAX_FILE_BYTES": "2048"}).max_file_bytes == 2048


def test_database_url_must_be_sqlite_or_postgresql():
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings({"DATABASE_URL": "mysql://db/app"})


def test_get_settings_is_cached_until_reset(settings_env, monkeypatch, tmp_path):
    assert get_settings() is settings_env
    assert settings_env.data_dir == tmp_path.resolve() and settings_env.env == "test"
    monkeypatch.setenv("DECODE_DATA_MAX_FILE_BYTES", "1234")
    assert get_settings().max_file_bytes == 100_000
    reset_settings()
    assert get_settings().max_file_bytes == 1234
    assert isinstance(get_settings().data_dir, Path)
