"""Helpers for the page tests: cases made through the services (the one write path) and
clients signed in as the personas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cases import services
from cases.models import Case
from tests.factories import centre_of


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


def advance(case: Case, to: str, *, town, centre_operator, dept_officer) -> Case:
    """Moves a reported case along the main path up to status `to`, through the services."""
    path = [
        (Case.Status.ACCEPTED, lambda: services.case_accept(case_id=case.pk, actor=centre_operator)),
        (Case.Status.DISPATCHED, lambda: services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit)),
        (Case.Status.IN_PROGRESS, lambda: services.case_sign_for(case_id=case.pk, actor=dept_officer)),
        (Case.Status.HANDLED, lambda: services.case_report_handled(case_id=case.pk, actor=dept_officer, result="done")),
        (Case.Status.CLOSED, lambda: services.case_verify(case_id=case.pk, actor=centre_operator, passed=True)),
    ]
    for status, step in path:
        case = step()
        if status == to:
            return case
    raise ValueError(to)
