"""Shared builders for tests: cases in a given state, made through the services (the one
write path), and API clients signed in as a persona. Tests import these rather than keep
local copies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases import services
from cases.models import Case
from risk.models import PatrolTask
from tests.factories import centre_of

S = Case.Status

# The main path of DOMAIN §3, in order; a status's case went through every earlier step.
MAIN_PATH = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.CLOSED)


def advance(case: Case, to: str, *, town: Any, centre_operator: Any, dept_officer: Any,
            unit: Any = None, co_handlers: Sequence[Any] = (), result: str = "done",
            handled_photos: Sequence[Any] = (), extension: tuple[int, str] | None = None,
            times: Mapping[str, dt.datetime] | None = None) -> Case:
    """Moves a case along the main path from its status up to status `to`, through the services.
    The dispatch goes to `unit` (the town's unit unless given) with `co_handlers`; the handled
    report says `result` and carries `handled_photos`; `extension` (days, reason) is asked for by the
    unit once it has signed for the case and stays pending; `times` maps a status to when the
    step into it happens (a step not named happens now)."""
    when = dict(times or {})

    def sign_for() -> Case:
        signed = services.case_sign_for(case_id=case.pk, actor=dept_officer, at=when.get(S.IN_PROGRESS))
        if extension is not None:
            days, reason = extension
            services.case_request_extension(case_id=case.pk, actor=dept_officer, days=days, reason=reason)
            signed.refresh_from_db()
        return signed

    path: list[tuple[str, Callable[[], Case]]] = [
        (S.ACCEPTED, lambda: services.case_accept(case_id=case.pk, actor=centre_operator, at=when.get(S.ACCEPTED))),
        (S.DISPATCHED, lambda: services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=unit or town.unit,
                                                      co_handlers=co_handlers, at=when.get(S.DISPATCHED))),
        (S.IN_PROGRESS, sign_for),
        (S.HANDLED, lambda: services.case_report_handled(case_id=case.pk, actor=dept_officer, result=result,
                                                         photos=handled_photos, at=when.get(S.HANDLED))),
        (S.CLOSED, lambda: services.case_verify(case_id=case.pk, actor=centre_operator, passed=True,
                                                at=when.get(S.CLOSED))),
    ]
    # From where the case stands: a case already accepted is dispatched next, not accepted again.
    done = MAIN_PATH.index(case.status)
    if MAIN_PATH.index(to) <= done:
        if to == case.status:
            return case
        raise ValueError(f"{case.status} is past {to}")
    for status, step in path[done:]:
        case = step()
        if status == to:
            return case
    raise ValueError(to)


def case_at(status: str, *, town: Any, reporter: Any, centre_operator: Any, dept_officer: Any,
            unit: Any = None, co_handlers: Sequence[Any] = (), result: str = "done",
            handled_photos: Sequence[Any] = (), extension: tuple[int, str] | None = None,
            times: Mapping[str, dt.datetime] | None = None, **report: Any) -> Case:
    """A case of the town's first cell (unless `report` says where), filed by `reporter` with
    the `report` fields (photos among them: the report's own), at times[REPORTED] when given,
    and moved to `status`; the other options are advance()'s."""
    values: dict[str, Any] = {"category": town.category, "location": centre_of(0, 0), "description": "占道经营的摊位"}
    values.update(report)
    if times and S.REPORTED in times:
        values["at"] = times[S.REPORTED]
    case = services.case_report(actor=reporter, **values)
    return advance(case, status, town=town, centre_operator=centre_operator, dept_officer=dept_officer,
                   unit=unit, co_handlers=co_handlers, result=result, handled_photos=handled_photos,
                   extension=extension, times=times)


def api_client(user: Any | None, language: str | None = "en", *, token: bool = False,
               raise_request_exception: bool = True) -> APIClient:
    """An API client authenticated as `user` (None: anonymous), reading `language` (None: no
    Accept-Language, so the default language). `token`: as a phone, with the user's DRF token
    in the Authorization header instead of a forced login, so the authentication classes run.
    `raise_request_exception=False` for tests where a 500 must show as a status, not as an
    exception raised into the test."""
    headers: dict[str, str] = {} if language is None else {"HTTP_ACCEPT_LANGUAGE": language}
    if token and user is not None:
        key, _ = Token.objects.get_or_create(user=user)
        headers["HTTP_AUTHORIZATION"] = f"Token {key.key}"
    client = APIClient(raise_request_exception=raise_request_exception, **headers)
    if user is not None and not token:
        client.force_authenticate(user)
    return client

def patrol_task(town: Any, cell: int = 0, **fields: Any) -> PatrolTask:
    """An open patrol task on town.cells[cell], due today unless `fields` say otherwise."""
    values: dict[str, Any] = {"cell": town.cells[cell], "title": "例行巡查", "due_date": timezone.localdate()}
    values.update(fields)
    return PatrolTask.objects.create(**values)
