"""Production mode (DEBUG off) turns on HTTPS-only cookies, HSTS, the SSL redirect and the
other headers; `manage.py check --deploy` is clean with it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "wangge.example.gov.cn"
# Whatever the machine running the tests has set for these must not leak into the subprocesses.
HARDENING_VARS = {
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "CSRF_TRUSTED_ORIGINS", "BASEMAP_TILE_URL", "CSP_REPORT_URI",
}


def env_with(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in HARDENING_VARS} | extra


def production_env(**extra: str) -> dict[str, str]:
    return env_with(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS=HOST, **extra)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETTINGS = [
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
    "CSRF_TRUSTED_ORIGINS",
]


def settings_in(env: dict[str, str]) -> dict[str, object]:
    code = f"import json, governance.settings as s; print(json.dumps({{n: getattr(s, n) for n in {SETTINGS!r}}}, default=repr))"
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- production mode --------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_speaks_up_when_https_is_turned_off():
    """The clean result above means something: switched off, the same check fails."""
    env = production_env(SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false", SECURE_HSTS_SECONDS="0")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012"):
        assert check in result.stderr + result.stdout


def test_production_turns_on_https_only_cookies_hsts_and_headers():
    s = settings_in(production_env())
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] is None  # trusted only when a deployment says so
    assert s["SESSION_COOKIE_SECURE"] is s["CSRF_COOKIE_SECURE"] is s["LANGUAGE_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and s["SECURE_HSTS_PRELOAD"] is False
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["CSRF_TRUSTED_ORIGINS"] == []


def test_development_defaults_keep_make_run_on_plain_http():
    s = settings_in(env_with())
    assert s["SECURE_SSL_REDIRECT"] is False and s["SECURE_HSTS_SECONDS"] == 0
    assert s["SESSION_COOKIE_SECURE"] is False and s["CSRF_COOKIE_SECURE"] is False


def test_each_switch_has_its_own_variable():
    s = settings_in(production_env(
        SECURE_SSL_REDIRECT="false", SECURE_PROXY_SSL_HEADER="true", SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false", SECURE_HSTS_PRELOAD="true",
        CSRF_TRUSTED_ORIGINS="https://wangge.wuxi.gov.cn,https://10.8.0.5:8443",
    ))
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_HSTS_SECONDS"] == 600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False and s["SECURE_HSTS_PRELOAD"] is True
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://wangge.wuxi.gov.cn", "https://10.8.0.5:8443"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CSRF_TRUSTED_ORIGINS": "wangge.wuxi.gov.cn"}, "CSRF_TRUSTED_ORIGINS must be scheme://host"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS must be an integer"),
        ({"SECURE_SSL_REDIRECT": "sometimes"}, "SECURE_SSL_REDIRECT must be a boolean"),
    ],
)
def test_bad_hardening_values_stop_start_up(env, message):
    result = run(["-c", "import governance.settings"], production_env(**env))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


RESPONSES = """
import json, django
django.setup()
from django.test import Client
out = {}
plain = Client().get("/accounts/login/", HTTP_HOST="@HOST@")
out["plain"] = [plain.status_code, plain.get("Location", "")]
secure = Client().get("/accounts/login/", secure=True, HTTP_HOST="@HOST@")
out["secure"] = [secure.status_code, dict(secure.headers.items()),
                 {name: dict(c.items()) for name, c in secure.cookies.items()}]
proxied = Client().get("/accounts/login/", HTTP_HOST="@HOST@", HTTP_X_FORWARDED_PROTO="https")
out["proxied"] = proxied.status_code
print(json.dumps(out))
""".replace("@HOST@", HOST)


def responses_in(env: dict[str, str]) -> dict[str, object]:
    result = run(["-c", RESPONSES], env | {"DJANGO_SETTINGS_MODULE": "governance.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_responses_redirect_to_https_and_carry_the_headers():
    out = responses_in(production_env())
    assert out["plain"] == [301, f"https://{HOST}/accounts/login/"]
    status, headers, cookies = out["secure"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert cookies["csrftoken"]["secure"] is True
    # A client's own X-Forwarded-Proto is not believed unless the deployment says a proxy sets it.
    assert out["proxied"] == 301


def test_behind_a_tls_proxy_the_forwarded_proto_is_believed():
    out = responses_in(production_env(SECURE_PROXY_SSL_HEADER="true"))
    assert out["proxied"] == 200
    assert out["plain"][0] == 301
