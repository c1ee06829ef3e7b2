"""Login, the start page per role, the header, languages and the error pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("media_in_tmp")

PAGES = ["home", "case-report", "my-reports", "centre-queue", "unit-queue", "supervisor-map", "supervisor-counts"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(db, client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_case_page_is_sent_to_login(client: Client, file_case) -> None:
    case = file_case()
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_and_logs_in(client: Client, grid_worker) -> None:
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'for="id_password"' in page.text
    response = client.post(reverse("login"), {"username": "gw_a", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_error(client: Client, grid_worker) -> None:
    response = client.post(reverse("login"), {"username": "gw_a", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Wrong user name or password" in response.text


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("grid_worker", "worker-today"),
        ("centre_operator", "centre-queue"),
        ("dept_officer", "unit-queue"),
        ("supervisor", "supervisor-map"),
    ],
)
def test_home_sends_each_role_to_its_screen(request, login, persona: str, target: str) -> None:
    user = request.getfixturevalue(persona)
    response = login(user).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_home_without_role_explains(db, login) -> None:
    response = login(UserFactory(username="nobody")).get(reverse("home"))
    assert response.status_code == 200
    assert "no role yet" in response.text


def test_home_for_admin_is_the_map(db, login) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    response = login(admin).get(reverse("home"))
    assert response["Location"] == reverse("supervisor-map")


def _nav(html: str) -> str:
    match = re.search(r'<nav class="main-nav".*?</nav>', html, re.S)
    assert match, "no main nav"
    return match.group(0)


def test_nav_shows_only_what_the_role_gives(login, grid_worker, centre_operator, dept_officer, supervisor) -> None:
    worker_nav = _nav(login(grid_worker).get(reverse("my-reports")).text)
    assert reverse("case-report") in worker_nav and reverse("my-reports") in worker_nav
    assert reverse("worker-today") in worker_nav and reverse("supervisor-dashboard") not in worker_nav
    assert reverse("centre-queue") not in worker_nav and reverse("supervisor-map") not in worker_nav
    assert "/admin/" not in worker_nav

    centre_nav = _nav(login(centre_operator).get(reverse("centre-queue")).text)
    assert reverse("centre-queue") in centre_nav and reverse("case-report") not in centre_nav

    dept_nav = _nav(login(dept_officer).get(reverse("unit-queue")).text)
    assert reverse("unit-queue") in dept_nav and reverse("centre-queue") not in dept_nav

    boss_nav = _nav(login(supervisor).get(reverse("supervisor-counts")).text)
    assert reverse("supervisor-map") in boss_nav and reverse("supervisor-counts") in boss_nav
    assert reverse("supervisor-dashboard") in boss_nav and reverse("supervisor-overdue") in boss_nav
    assert reverse("unit-queue") not in boss_nav and reverse("worker-today") not in boss_nav
    for someone in (centre_nav, dept_nav):
        assert reverse("supervisor-dashboard") not in someone and reverse("supervisor-overdue") not in someone


def test_staff_see_the_admin_link(db, login) -> None:
    staff = UserFactory(username="staffer", is_staff=True)
    html = login(staff).get(reverse("my-reports")).text
    assert 'href="/admin/"' in _nav(html)


def test_header_has_logout_form_and_language_switch(login, grid_worker) -> None:
    html = login(grid_worker).get(reverse("my-reports")).text
    assert re.search(r'<form class="logout-form" action="/accounts/logout/" method="post">', html)
    assert 'action="/i18n/setlang/"' in html
    assert '<label class="visually-hidden" for="language-select">' in html
    assert 'value="zh-hans"' in html and 'value="en"' in html


def test_logout_is_a_post(client: Client, grid_worker) -> None:
    client.force_login(grid_worker)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("my-reports")).status_code == 302


def test_english_and_chinese_both_render(grid_worker) -> None:
    client = Client()
    client.force_login(grid_worker)
    english = client.get(reverse("my-reports"), HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(reverse("my-reports"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert english.status_code == chinese.status_code == 200
    assert '<html lang="en">' in english.text
    assert '<html lang="zh-hans">' in chinese.text
    assert "My reports" in english.text


def test_language_cookie_wins_and_set_language_sets_it(grid_worker) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(grid_worker)
    client.cookies["django_language"] = "zh-hans"
    assert '<html lang="zh-hans">' in client.get(reverse("my-reports")).text
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("my-reports")})
    assert response.status_code == 302 and response["Location"] == reverse("my-reports")
    assert '<html lang="en">' in client.get(reverse("my-reports")).text


def test_every_asset_is_served_by_the_app(login, supervisor) -> None:
    """No CDN: intranet deployments have none, and MLPS forbids third-party script."""
    for name in ("supervisor-map", "supervisor-counts"):
        html = login(supervisor).get(reverse(name)).text
        assert not re.search(r'(src|href)="(https?:)?//', html), name
    assert "/static/leaflet/leaflet.js" in login(supervisor).get(reverse("supervisor-map")).text


def test_unknown_page_is_404_with_layout(login, grid_worker) -> None:
    response = login(grid_worker).get("/no/such/page/")
    assert response.status_code == 404
