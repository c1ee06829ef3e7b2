"""role_required / require_role: one check for "does this role open this page"."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from access.decorators import require_role, role_required
from access.roles import Roles


def test_an_unknown_role_name_fails_when_the_view_is_decorated_not_when_it_is_asked():
    with pytest.raises(ValueError, match="supervsior"):
        role_required("supervsior")
    with pytest.raises(TypeError):
        role_required()


def test_a_rule_over_the_roles_is_asked_with_the_persons_roles():
    seen: list[Roles] = []

    def nobody(roles: Roles) -> bool:
        seen.append(roles)
        return False

    @role_required("supervisor", nobody)
    def view(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        view(request)
    assert seen == [Roles()]


def test_everyone_holding_no_role_passes_a_rule_that_lets_them_in():
    assert require_role(AnonymousUser(), lambda roles: not roles.names) == Roles()


@pytest.mark.django_db
def test_the_role_opens_the_view(supervisor, grid_worker):
    @role_required("supervisor", "admin")
    def view(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = supervisor
    assert view(request).status_code == 200
    request.user = grid_worker
    with pytest.raises(PermissionDenied):
        view(request)
