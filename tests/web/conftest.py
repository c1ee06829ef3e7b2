"""Helpers for the page tests: cases made through the services (the one write path) and
clients signed in as the personas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cases import services
from cases.models import Case
from tests.builders import advance
from tests.factories import centre_of

__all__ = ["advance"]  # the page tests import it from here


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path) -> None:
    """Uploaded photos go to a temporary folder, not the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def file_case(town, grid_worker) -> Callable[..., Case]:
    """A reported case in the grid worker's first cell."""

    def make(**kwargs: Any) -> Case:
        values: dict[str, Any] = {
            "actor": grid_worker,
            "category": town.category,
            "location": centre_of(0, 0),
            "description": "占道经营的摊位",
        }
        values.update(kwargs)
        return services.case_report(**values)

    return make
