"""Settings come from the environment: the database, the broker, the secret key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.settings import database_from_url, env_bool

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({expression}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    clean.pop("SECRET_KEY", None)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    clean["RELAIS_VAR_DIR"] = str(ROOT / "var")
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_database_url_selects_postgresql_through_psycopg():
    db = database_from_url("postgres://relais:s%40cret@db.example:5433/relais?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("relais", "relais", "s@cret")
    assert (db["HOST"], db["PORT"]) == ("db.example", "5433")
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_database_url_with_another_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://root@localhost/relais")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("false", False), ("", False)])
def test_env_bool_reads_true_and_false(monkeypatch, raw, expected):
    monkeypatch.setenv("RELAIS_FLAG", raw)
    assert env_bool("RELAIS_FLAG", False) is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("RELAIS_FLAG", "yes")
    with pytest.raises(ImproperlyConfigured, match="RELAIS_FLAG"):
        env_bool("RELAIS_FLAG", False)


def test_without_database_url_the_database_is_a_sqlite_file_under_var():
    result = _settings_in_subprocess(
        {"DEBUG": "true"},
        "[settings.DATABASES['default']['ENGINE'], "
        "str(settings.DATABASES['default']['NAME']), settings.Q_CLUSTER]",
    )
    assert result.returncode == 0, result.stderr
    engine, name, q_cluster = json.loads(result.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert name.endswith("var/relais.sqlite3")
    assert q_cluster["orm"] == "default"
    assert "redis" not in q_cluster


def test_redis_url_switches_the_task_broker_to_redis():
    result = _settings_in_subprocess(
        {"DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/3"}, "settings.Q_CLUSTER"
    )
    assert result.returncode == 0, result.stderr
    q_cluster = json.loads(result.stdout)
    assert q_cluster["redis"] == "redis://127.0.0.1:6379/3"
    assert "orm" not in q_cluster


def test_secret_key_is_required_unless_debug():
    result = _settings_in_subprocess({"DEBUG": "false"}, "1")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set: Redis broker not tested")
def test_tasks_travel_through_the_real_redis_broker():
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker = get_broker(list_key="relais-test-queue")
    broker.purge_queue()
    broker.enqueue(SignedPackage.dumps({"id": "t1", "func": "math.floor", "args": (2.5,)}))
    assert broker.queue_size() == 1
    (task_id, payload) = broker.dequeue()[0]
    assert SignedPackage.loads(payload)["func"] == "math.floor"
    broker.acknowledge(task_id)
    assert broker.queue_size() == 0
