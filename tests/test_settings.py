"""Settings read the environment; bad values fail loudly at start-up, not later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import governance.settings as s; print(s.DATABASES['default']['PORT'], s.DEBUG)"],
        cwd=ROOT, env=os.environ | env, capture_output=True, text=True, timeout=60,
    )


def test_database_url_is_read_from_environment():
    result = import_settings(DATABASE_URL="postgis://postgres@127.0.0.1:55432/x")
    assert result.stdout.split()[0] == "55432"


def test_prepared_statements_are_on_unless_switched_off():
    code = "import governance.settings as s; print(s.DATABASES['default'].get('OPTIONS', {}))"
    on = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=os.environ | {"DB_PREPARE_THRESHOLD": "3"},
                        capture_output=True, text=True, timeout=60)
    assert "'server_side_binding': True" in on.stdout and "'prepare_threshold': 3" in on.stdout
    off = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=os.environ | {"DB_SERVER_SIDE_BINDING": "false"},
                         capture_output=True, text=True, timeout=60)
    assert "server_side_binding" not in off.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1/x"}, "postgis://"),
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "k" * 50, "FIELD_ENCRYPTION_SALT": ""}, "FIELD_ENCRYPTION_SALT must be set"),
        ({"METRIC_SRID": "web-mercator"}, "METRIC_SRID must be an integer"),
        ({"RISK_LEVEL_THRESHOLDS": "5,2"}, "RISK_LEVEL_THRESHOLDS must be three numbers"),
    ],
)
def test_bad_setting_raises_improperly_configured(env, message):
    result = import_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_secret_from_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    result = subprocess.run(
        [sys.executable, "-c", "import governance.settings as s; print(s.SECRET_KEY)"],
        cwd=ROOT, env=os.environ | {"SECRET_KEY_FILE": str(secret)}, capture_output=True, text=True, timeout=60,
    )
    assert result.stdout.strip() == "from-a-file"


def test_beat_schedules_the_risk_job():
    from governance.celery import app
    from risk.tasks import risk_score_all_cells_task

    assert app.conf.beat_schedule["risk-score-all-cells"]["task"] == risk_score_all_cells_task.name
