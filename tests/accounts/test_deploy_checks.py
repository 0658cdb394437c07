"""Deploy settings (D13, issue 13 item 4): `check --deploy` is clean with the README's
production settings, and refuses what would break or leak in production."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from datafi.accounts.checks import production_settings, throttle_rates

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDERS = {
    "SECRET_KEY": "k7Qp2-x9Lm4ZrT8vW1nB6cY3hJ5dF0gS_aE-uI7oP2qR4tV6wX8yZ0bN3mK5jH1",
    "MODEL_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "CHAIN_PRIVATE_KEY": "0x" + "11" * 32,
}


def readme_production_env() -> dict[str, str]:
    """The variables of the README's production block, placeholders filled in."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Production settings", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    env = {}
    for line in block.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, value = line.split("=", 1)
        env[name] = PLACEHOLDERS[name] if value.startswith("<") else value
    return env


def run_check(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_the_readmes_production_settings(tmp_path):
    env = readme_production_env()
    assert env["DEBUG"] == "0" and env["SECURE_SSL_REDIRECT"] == "1"
    result = run_check(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    # It used the keys it was given, not ones generated into DATA_DIR.
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "model_key_encryption_key").exists()


def test_check_deploy_refuses_the_embedded_defaults(tmp_path):
    result = run_check({}, tmp_path)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    for check_id in ("E001", "E002", "E003", "E004", "E005"):
        assert f"datafi.{check_id}" in out, out
    for warning in ("security.W004", "security.W008"):
        assert warning in out, out


def ids(errors) -> set[str]:
    return {error.id for error in errors}


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_GENERATED = False
    settings.MODEL_KEY_ENCRYPTION_KEY_GENERATED = False
    settings.CHAIN_RPC_URL = "http://127.0.0.1:8545"
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    return settings


def test_a_production_configuration_passes(production):
    assert production_settings() == []


@pytest.mark.parametrize(
    "setting, value, check_id",
    [
        ("SECRET_KEY_GENERATED", True, "datafi.E001"),
        ("MODEL_KEY_ENCRYPTION_KEY_GENERATED", True, "datafi.E002"),
        ("CHAIN_RPC_URL", "", "datafi.E003"),
        ("REDIS_URL", "", "datafi.E004"),
        ("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", "datafi.E005"),
        ("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend", "datafi.E005"),
    ],
)
def test_each_unsafe_production_setting_is_refused(production, setting, value, check_id):
    setattr(production, setting, value)
    assert ids(production_settings()) == {check_id}


def test_debug_mode_is_not_held_to_production_rules(production):
    production.DEBUG = True
    production.CHAIN_RPC_URL = ""
    assert production_settings() == []


def test_a_malformed_throttle_rate_is_an_error(settings):
    assert throttle_rates() == []
    settings.THROTTLE_SIGNUP = "ten per minute"
    settings.THROTTLE_WALLET_NONCE = "5/2d"
    assert [e.id for e in throttle_rates()] == ["datafi.E010", "datafi.E010"]
