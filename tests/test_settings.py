import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsroom.settings import database_from_url, env_bool

ROOT = Path(__file__).resolve().parent.parent


def test_unknown_database_scheme_gives_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme 'mysql'"):
        database_from_url("mysql://root@localhost/newsroom")


def test_postgres_url_is_parsed():
    config = database_from_url("postgres://postgres@127.0.0.1:5432/newsroom")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "newsroom"
    assert config["HOST"] == "127.0.0.1"


def test_sqlite_is_configured_for_several_processes():
    config = database_from_url("sqlite:////tmp/x.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 5


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)


def _settings_in_subprocess(env: dict, expr: str):
    code = f"import django, os; django.setup(); from django.conf import settings; print({expr})"
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    full_env |= {"DJANGO_SETTINGS_MODULE": "newsroom.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_production_without_secret_key_fails_loudly():
    result = _settings_in_subprocess({"DEBUG": "0"}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_redis_url_selects_the_redis_cache():
    result = _settings_in_subprocess(
        {"REDIS_URL": "redis://127.0.0.1:6379/3"}, "settings.CACHES['default']['BACKEND']"
    )
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 64 + "-production-secret-key-for-the-deploy-check",
        "ALLOWED_HOSTS": "news.example.com",
        "VAR_DIR": str(tmp_path),
    }
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production never has it.
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full_env = {k: v for k, v in os.environ.items() if k not in dropped} | env
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_concurrent_sqlite_writers_do_not_lock(tmp_path):
    """Four processes doing read-then-write transactions: no 'database is locked'."""
    script = ROOT / "tests" / "sqlite_writers.py"
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "db.sqlite3")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors=0" in result.stdout
