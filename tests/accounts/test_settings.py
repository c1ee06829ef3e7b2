"""The sign-in settings come from the environment; bad values stop the start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import governance.settings as s; print(s.PASSWORD_MIN_LENGTH, s.PASSWORD_MAX_AGE_DAYS, s.AXES_FAILURE_LIMIT, "
    "s.AXES_COOLOFF_TIME.total_seconds(), s.SESSION_IDLE_MINUTES, s.SESSION_COOKIE_AGE, "
    "s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.OTP_TOTP_ISSUER, s.AXES_ADDRESS_FAILURE_LIMIT)"
)


def settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=os.environ | env, capture_output=True,
                          text=True, timeout=60)


def test_defaults_are_the_mlps_baseline() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PASSWORD_", "AXES_", "SESSION_", "OTP_"))}
    result = subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=clean, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["10", "90", "5", "1800.0", "30", "28800", "True", "wangge", "30"]


def test_values_are_read_from_the_environment() -> None:
    result = settings_with(PASSWORD_MIN_LENGTH="12", PASSWORD_MAX_AGE_DAYS="0", AXES_FAILURE_LIMIT="3",
                           AXES_COOLOFF="15", SESSION_IDLE_MINUTES="10", SESSION_COOKIE_AGE="3600",
                           SESSION_EXPIRE_AT_BROWSER_CLOSE="false", OTP_TOTP_ISSUER="Wuxi grid",
                           AXES_ADDRESS_FAILURE_LIMIT="40")
    assert result.stdout.split() == ["12", "0", "3", "900.0", "10", "3600", "False", "Wuxi", "grid", "40"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PASSWORD_MIN_LENGTH": "ten"}, "PASSWORD_MIN_LENGTH must be an integer"),
        ({"PASSWORD_MIN_LENGTH": "0"}, "PASSWORD_MIN_LENGTH must be at least 1"),
        ({"PASSWORD_MAX_AGE_DAYS": "-1"}, "PASSWORD_MAX_AGE_DAYS must be at least 0"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT must be at least 1"),
        ({"AXES_COOLOFF": "half an hour"}, "AXES_COOLOFF must be an integer"),
        ({"AXES_ADDRESS_FAILURE_LIMIT": "0"}, "AXES_ADDRESS_FAILURE_LIMIT must be at least 1"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES must be at least 1"),
        ({"SESSION_COOKIE_AGE": "30"}, "SESSION_COOKIE_AGE must be at least 60"),
        ({"SESSION_EXPIRE_AT_BROWSER_CLOSE": "sometimes"}, "SESSION_EXPIRE_AT_BROWSER_CLOSE must be a boolean"),
    ],
)
def test_bad_values_raise_improperly_configured(env, message) -> None:
    result = settings_with(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
