import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.processes import ROOT
from thoughtflow.env import env_bool, env_int, env_secret


def test_env_bool_names_the_variable_when_unreadable(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be one of"):
        env_bool("SOME_FLAG")


def test_env_int_names_the_variable_when_unreadable(monkeypatch):
    monkeypatch.setenv("WORKERS", "two")

    with pytest.raises(ImproperlyConfigured, match="WORKERS must be a whole number"):
        env_int("WORKERS", 2)


def test_secret_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    path = tmp_path / "secret_key"

    first = env_secret("SECRET_KEY", required=False, fallback_file=path)
    second = env_secret("SECRET_KEY", required=False, fallback_file=path)

    assert first == second
    assert len(first) > 50
    assert oct(path.stat().st_mode)[-3:] == "600"


def test_secret_is_required_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required"):
        env_secret("SECRET_KEY", required=True, fallback_file=tmp_path / "k")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "THOUGHTFLOW_VAR_DIR": env.pop("VAR", "")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_passes_in_production_mode(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        VAR=str(tmp_path),
        PRODUCTION="true",
        SECRET_KEY="x" * 30 + "-production-secret-with-enough-entropy-7Hq",
        PUBLIC_BASE_URL="https://sms.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_mode_without_secret_key_fails_clearly(tmp_path):
    result = _manage(
        "check", VAR=str(tmp_path), PRODUCTION="true", PUBLIC_BASE_URL="https://x.io"
    )

    assert result.returncode != 0
    assert "SECRET_KEY is required when PRODUCTION is on" in result.stderr
