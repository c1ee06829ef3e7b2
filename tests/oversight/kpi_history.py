"""The hand-built March of tests/oversight/test_kpis.py (its docstring tells the story), for
the KPI, page and export tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from access.models import RoleAssignment
from cases import services
from cases.models import Case
from oversight.kpis import Period
from tests.cases.photos import jpeg
from tests.factories import UserFactory, centre_of

SH = ZoneInfo("Asia/Shanghai")
MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=SH)


def t(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


class History:
    def __init__(self, town, grid_worker, outsider, street_operator, dept_officer, other_officer) -> None:
        self.town = town
        self.gw, self.gw_other, self.centre = grid_worker, outsider, street_operator
        self.dept, self.other_dept = dept_officer, other_officer

    def report(self, at: dt.datetime, col: int = 0, row: int = 0, **kw) -> Case:
        actor = self.gw_other if col >= 2 else self.gw
        kw.setdefault("category", self.town.category)
        return services.case_report(actor=actor, location=centre_of(col, row), description="x", at=at, **kw)

    def dispatched(self, reported: dt.datetime, accepted: dt.datetime, dispatched: dt.datetime, col: int = 0,
                   unit=None) -> Case:
        case = self.report(reported, col)
        services.case_accept(case_id=case.pk, actor=self.centre, at=accepted)
        return services.case_dispatch(case_id=case.pk, actor=self.centre, unit=unit or self.town.unit, at=dispatched)

    def sign(self, case: Case, at: dt.datetime) -> None:
        services.case_sign_for(case_id=case.pk, actor=self.dept, at=at)

    def handled(self, case: Case, at: dt.datetime) -> None:
        services.case_report_handled(case_id=case.pk, actor=self.dept, result="done", at=at)

    def verify(self, case: Case, at: dt.datetime, passed: bool = True) -> None:
        services.case_verify(case_id=case.pk, actor=self.centre, passed=passed, note="" if passed else "redo", at=at)

    def rate(self, case: Case, satisfaction: int, at: dt.datetime) -> None:
        services.case_evaluate(case_id=case.pk, actor=self.centre, satisfaction=satisfaction, at=at)


@pytest.fixture(name="other_officer")
def other_officer_fixture(town):
    user = UserFactory(username="dept_hb")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    return user


@pytest.fixture(name="march")
def march_fixture(town, grid_worker, outsider, street_operator, dept_officer, other_officer) -> dict[str, Case]:
    h = History(town, grid_worker, outsider, street_operator, dept_officer, other_officer)
    cases: dict[str, Case] = {}
    a = cases["A"] = h.dispatched(t(3, 2, 9, 30), t(3, 2, 10), t(3, 2, 11))
    assert (a.sign_deadline, a.handle_deadline) == (t(3, 2, 15), t(3, 5, 17))
    h.sign(a, t(3, 2, 12))
    h.handled(a, t(3, 3, 10))
    h.verify(a, t(3, 3, 11))
    h.rate(a, 5, t(3, 3, 12))

    b = cases["B"] = h.dispatched(t(3, 2, 10), t(3, 2, 10, 30), t(3, 2, 12, 30))
    assert (b.sign_deadline, b.handle_deadline) == (t(3, 2, 16, 30), t(3, 5, 17))
    h.sign(b, t(3, 3, 10))
    h.handled(b, t(3, 4, 10))
    h.verify(b, t(3, 4, 11), passed=False)
    h.handled(b, t(3, 6, 10))
    h.verify(b, t(3, 6, 11))
    h.rate(b, 3, t(3, 6, 12))

    c = cases["C"] = h.dispatched(t(3, 9, 9), t(3, 9, 9, 30), t(3, 9, 10), col=1)
    assert c.sign_deadline == t(3, 9, 14)
    h.sign(c, t(3, 9, 11))
    services.case_request_extension(case_id=c.pk, actor=h.dept, days=2, reason="parts", at=t(3, 10, 10))
    c = services.case_decide_extension(case_id=c.pk, actor=h.centre, approve=True, at=t(3, 10, 11))
    assert c.handle_deadline == t(3, 16, 17)

    d = cases["D"] = h.dispatched(t(3, 10, 9), t(3, 10, 9, 10), t(3, 10, 9, 40), col=2)
    services.case_return(case_id=d.pk, actor=h.dept, reason="not ours", at=t(3, 10, 10))
    d = services.case_dispatch(case_id=d.pk, actor=h.centre, unit=town.other_unit, at=t(3, 10, 11))
    assert (d.sign_deadline, d.handle_deadline) == (t(3, 10, 15), t(3, 13, 17))

    e = cases["E"] = h.report(t(3, 11, 9))
    services.case_reject(case_id=e.pk, actor=h.centre, reason="not a problem", at=t(3, 11, 10))

    f = cases["F"] = h.report(t(3, 12, 9), col=1, category=town.spot_category)
    services.case_resolve_on_spot(case_id=f.pk, actor=h.gw, note="moved", photos=[jpeg()], at=t(3, 12, 9, 30))

    cases["G"] = h.report(t(3, 12, 10))

    hh = cases["H"] = h.dispatched(t(2, 27, 10), t(2, 27, 10, 30), t(2, 27, 11))
    assert hh.handle_deadline == t(3, 3, 17)
    h.sign(hh, t(2, 27, 12))
    h.handled(hh, t(3, 3, 10))
    h.verify(hh, t(3, 3, 12))

    i = cases["I"] = h.dispatched(t(3, 19, 9), t(3, 19, 9, 30), t(3, 19, 10), col=1)
    assert i.handle_deadline == t(3, 24, 17)
    h.sign(i, t(3, 19, 10, 30))
    return cases


