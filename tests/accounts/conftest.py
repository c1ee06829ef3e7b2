from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from access.models import RoleAssignment
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_hashing(settings) -> None:
    """Sign-in tests check passwords dozens of times; the hash's cost is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def en_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def new_supervisor(town) -> Any:
    """A supervisor of the district who has not set up an authenticator app yet."""
    user = UserFactory(username="supervisor_new")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.SUPERVISOR, area=town.district)
    return user
