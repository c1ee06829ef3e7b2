"""Production mode (DEBUG off) turns on HTTPS-only cookies, HSTS, the SSL redirect and the
other headers; `manage.py check --deploy` is clean with it; the Content-Security-Policy is
on every page and no page needs 'unsafe-inline' for it."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from cases.models import Case
from governance.settings import _tile_origin
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
HOST = "wangge.example.gov.cn"
# Whatever the machine running the tests has set for these must not leak into the subprocesses
# (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process, which check --deploy refuses).
HARDENING_VARS = {
    "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "CSRF_TRUSTED_ORIGINS", "BASEMAP_TILE_URL", "CSP_REPORT_URI",
}


def env_with(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in HARDENING_VARS} | extra


def production_env(**extra: str) -> dict[str, str]:
    return env_with(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS=HOST,
                    FIELD_ENCRYPTION_SALT=secrets.token_urlsafe(16), **extra)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETTINGS = [
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
    "CSRF_TRUSTED_ORIGINS", "CONTENT_SECURITY_POLICY",
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
    # The same policy as in production: a violation shows while developing.
    assert "'unsafe-inline'" not in json.dumps(s["CONTENT_SECURITY_POLICY"])


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
        ({"BASEMAP_TILE_URL": "ftp://tiles.example/{z}/{x}/{y}.png"}, "BASEMAP_TILE_URL must be an http(s) URL"),
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
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert cookies["csrftoken"]["secure"] is True
    # A client's own X-Forwarded-Proto is not believed unless the deployment says a proxy sets it.
    assert out["proxied"] == 301


def test_behind_a_tls_proxy_the_forwarded_proto_is_believed():
    out = responses_in(production_env(SECURE_PROXY_SSL_HEADER="true"))
    assert out["proxied"] == 200
    assert out["plain"][0] == 301


# --- Content-Security-Policy ------------------------------------------------------------


def directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_policy_header_is_strict(client, db):
    response = client.get(reverse("login"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce either: the login page has no inline script
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("", []),
        ("/tiles/{z}/{x}/{y}.png", []),  # served by this host: 'self'
        ("https://{s}.tiles.wuxi.gov.cn/{z}/{x}/{y}.png", ["https://*.tiles.wuxi.gov.cn"]),
        ("http://10.8.0.7:8080/wmts/{z}/{x}/{y}.png", ["http://10.8.0.7:8080"]),
    ],
)
def test_basemap_tile_server_is_allowed_for_images_only(url, origin):
    assert _tile_origin(url) == origin


@pytest.mark.parametrize("url", ["https://a.{s}.tiles.example/{z}/{x}/{y}.png", "https://{s}/{z}/{x}/{y}.png"])
def test_tile_url_with_a_placeholder_past_the_first_label_is_refused(url):
    """CSP wildcards cover only the leftmost label; anything else cannot be allowed safely."""
    with pytest.raises(ImproperlyConfigured):
        _tile_origin(url)


def test_configured_tile_server_reaches_img_src_in_production():
    s = settings_in(production_env(BASEMAP_TILE_URL="https://{s}.tiles.wuxi.gov.cn/{z}/{x}/{y}.png"))
    policy = s["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]  # type: ignore[index]
    assert "https://*.tiles.wuxi.gov.cn" in policy["img-src"]
    assert "https://*.tiles.wuxi.gov.cn" not in policy["connect-src"] + policy["script-src"]


class InlineCode(HTMLParser):
    """Everything in a page that a strict CSP would block: inline scripts without the
    response's nonce, event-handler attributes, style attributes, <style> blocks."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.found += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on") or name == "style"]
        if tag == "style" and (self.nonce is None or named.get("nonce") != self.nonce):
            self.found.append("<style> block")
        if tag == "script" and "src" not in named and named.get("type") != "application/json":
            if self.nonce is None or named.get("nonce") != self.nonce:
                self.found.append(f"inline <script {named}>")


def assert_no_inline_code(response) -> None:
    assert response.status_code == 200, response.status_code
    header = response["Content-Security-Policy"]
    match = re.search(r"'nonce-([^']+)'", header)
    parser = InlineCode(match.group(1) if match else None)
    parser.feed(response.content.decode())
    assert parser.found == [], parser.found
    assert "'unsafe-inline'" not in header


@pytest.fixture
def web(town, grid_worker, centre_operator, dept_officer, supervisor, login, case_at):
    case = case_at(Case.Status.REPORTED)
    admin = UserFactory(username="csp_root", is_staff=True, is_superuser=True)
    # login: supervisors and admins pass their second factor.
    return {
        "grid_worker": (login(grid_worker), ["/", reverse("case-report"), reverse("my-reports")]),
        "centre_operator": (login(centre_operator), [reverse("centre-queue"), reverse("case-detail", args=[case.pk])]),
        "dept_officer": (login(dept_officer), [reverse("unit-queue")]),
        "supervisor": (login(supervisor), [reverse("supervisor-map"), reverse("supervisor-counts"),
                                           reverse("supervisor-dashboard"), reverse("supervisor-overdue")]),
        "admin": (login(admin), [
            reverse("admin:index"), reverse("admin:grids_gridcell_change", args=[town.cells[0].pk]),
            reverse("admin:grids_area_change", args=[town.community.pk]),
            reverse("admin:cases_case_change", args=[case.pk]), reverse("api-docs"),
        ]),
    }


def test_no_page_has_inline_code_the_policy_would_block(client, web):
    assert_no_inline_code(client.get(reverse("login")))
    for persona, (persona_client, urls) in web.items():
        for url in urls:
            try:
                assert_no_inline_code(persona_client.get(url, follow=True))
            except AssertionError as error:
                raise AssertionError(f"{persona} {url}: {error}") from None


def test_nonce_is_fresh_per_response_and_only_where_used(web):
    admin, _ = web["admin"]
    first, second = admin.get(reverse("api-docs")), admin.get(reverse("api-docs"))
    nonces = [re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert f'<script nonce="{nonces[0]}">' in first.content.decode()
    assert "nonce-" not in admin.get(reverse("admin:index"))["Content-Security-Policy"]


def test_error_pages_have_no_inline_style(rf: RequestFactory, client, db):
    response = server_error(rf.get("/"))
    parser = InlineCode(None)
    parser.feed(response.content.decode())
    assert parser.found == []
    not_found = client.get("/no/such/page/")
    assert not_found.status_code == 404 and "Content-Security-Policy" in not_found


def test_api_description_is_for_signed_in_users_only(client, web):
    assert client.get(reverse("api-schema")).status_code in (401, 403)
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("login"))
    staff, _ = web["admin"]
    assert staff.get(reverse("api-schema")).status_code == 200
