"""The KPIs of DOMAIN §4 (oversight.kpis) against numbers worked out by hand.

One month of hand-built cases (March 2026, no holidays in it; 28 February 2026 is a
working Saturday), moved through the real services at chosen times, measured at "now" =
Friday 20 March 12:00. Times are local (Asia/Shanghai); working time is 09:00–17:00.

  A cell 001  reported Mon 2 09:30, accepted 10:00, dispatched 11:00 to 城管 (sign by
              15:00, handle by Thu 5 17:00), signed 12:00, handled Tue 3 10:00, closed
              11:00, rated 5.                               on time; handling 24 h
  B cell 001  reported 2 10:00, accepted 10:30, dispatched 12:30 (sign by 16:30), signed
              Tue 3 10:00 (late), handled Wed 4, verify FAILED 4 11:00, handled Fri 6
              10:00, closed 6 11:00 (late: 2 working hours), rated 3.   handling 94.5 h
  C cell 002  reported Mon 9 09:00, accepted 09:30, dispatched 10:00 (sign by 14:00,
              handle by Thu 12 17:00), signed 11:00; extension of 2 days asked 10th,
              approved 10th 11:00 → Mon 16 17:00; still open: overdue 27 working hours.
  D cell 005  (the other community) reported Tue 10 09:00, accepted 09:10, dispatched 09:40
              to 城管, RETURNED 10:00, dispatched 11:00 to 环保 (sign by 15:00, handle by
              Fri 13 17:00), never signed: overdue 35 working hours.
  E cell 001  reported Wed 11 09:00, rejected 10:00.
  F cell 002  reported Thu 12 09:00, resolved on the spot 09:30.
  G cell 001  reported Thu 12 10:00, still waiting for the centre.
  H cell 001  reported Fri 27 Feb 10:00, accepted 10:30, dispatched 11:00 (handle by Tue 3
              March 17:00: Sat 28 Feb is a working day), signed 12:00, handled 3 March 10:00,
              closed 12:00.                                 on time; handling 97 h
  I cell 002  reported Thu 19 09:00, accepted 09:30, dispatched 10:00 (sign by 14:00,
              handle by Tue 24 17:00), signed 10:30: not yet due.
"""

from __future__ import annotations

import datetime as dt

import pytest

from access.models import RoleAssignment
from cases import services
from oversight import kpis
from oversight.kpis import KpiRow, Period
from tests.factories import UserFactory
from tests.oversight.kpi_history import MARCH, NOW, march_fixture, other_officer_fixture  # noqa: F401 - fixtures


def _total(user, area, period=MARCH) -> KpiRow:
    return kpis.total_kpis(user=user, area=area, period=period, now=NOW)


def test_every_kpi_of_the_district_in_march(march, town, supervisor):
    row = _total(supervisor, town.district)
    # Reports: A B C D E F G I filed in March (H in February); G undecided; E rejected.
    assert (row.filed, row.decided, row.valid, row.self_resolved) == (8, 7, 6, 1)
    assert row.valid_rate == pytest.approx(6 / 7)
    assert row.self_resolved_rate == pytest.approx(1 / 8)
    # Sign-for: A C I on time, B late, D (current dispatch to 环保) never signed; H's was February.
    assert (row.sign_due, row.sign_on_time) == (5, 3)
    # Due: A B H closed, C D open past their deadlines; I's deadline is after now.
    assert (row.due, row.closed, row.closed_on_time, row.overdue) == (5, 3, 2, 3)
    assert row.closure_rate == pytest.approx(3 / 5)
    assert row.on_time_rate == pytest.approx(2 / 5)
    # B 2 h (Fri 6 09-11) + C 27 h (17-19 March 8 h each, 20th 3 h) + D 35 h (16-19 March, 20th 3 h).
    assert row.overdue_hours == pytest.approx(64)
    # Timeline in March: dispatches A B C D D I; D returned once; C extended once;
    # verifications A B(fail) B H.
    assert (row.dispatches, row.returns, row.extensions, row.verifications, row.reworks) == (6, 1, 1, 4, 1)
    assert (row.return_rate, row.extension_rate, row.rework_rate) == pytest.approx((1 / 6, 1 / 6, 1 / 4))
    # Accept (or return) → dispatch: A 1, B 2, C 0.5, D 0.5 and (from the return) 1, I 0.5 hours.
    assert row.dispatch_hours == pytest.approx(5.5 / 6)
    # Handling, closed in March: A 24, B 94.5, H 97 hours; p90 = 94.5 + 0.8 × 2.5.
    assert row.handling_mean == pytest.approx((24 + 94.5 + 97) / 3)
    assert row.handling_p90 == pytest.approx(96.5)
    assert (row.satisfaction, row.evaluated) == (pytest.approx(4.0), 2)
    assert row.grade == "poor"


def test_per_unit(march, town, supervisor):
    units = {r.label: r for r in kpis.unit_kpis(user=supervisor, area=town.district, period=MARCH, now=NOW)}
    assert list(units) == ["梁溪区城管局", "梁溪区环保局"]
    cg, hb = units["梁溪区城管局"], units["梁溪区环保局"]
    # 城管 holds A B C H I; it dispatched-to A B C D(first) I, returned D, was extended C.
    assert (cg.sign_due, cg.sign_on_time, cg.due, cg.closed, cg.closed_on_time) == (4, 3, 4, 3, 2)
    assert (cg.dispatches, cg.returns, cg.extensions, cg.verifications, cg.reworks) == (5, 1, 1, 4, 1)
    assert cg.overdue_hours == pytest.approx(29)
    assert cg.dispatch_hours == pytest.approx(4.5 / 5)
    assert cg.return_rate == pytest.approx(1 / 5)
    # 环保 holds D: one dispatch, not signed for, overdue 35 hours.
    assert (hb.sign_due, hb.sign_on_time, hb.due, hb.closed, hb.overdue, hb.dispatches) == (1, 0, 1, 0, 1, 1)
    assert hb.overdue_hours == pytest.approx(35)
    assert hb.dispatch_hours == pytest.approx(1.0)
    assert (hb.on_time_rate, hb.grade) == (0.0, "poor")


def test_drill_down_levels(march, town, supervisor):
    def table(area):
        return {r.code: r for r in kpis.area_kpis(user=supervisor, area=area, period=MARCH, now=NOW)}

    district = table(town.district)
    assert list(district) == ["320213001"]
    assert district["320213001"].drill and district["320213001"].label == "崇安寺街道"
    assert (district["320213001"].filed, district["320213001"].due) == (8, 5)

    street = table(town.street)
    assert list(street) == ["320213001001", "320213001002"]
    first, second = street["320213001001"], street["320213001002"]
    assert (first.filed, first.decided, first.valid, first.self_resolved) == (7, 6, 5, 1)
    assert (first.sign_due, first.sign_on_time, first.due, first.closed, first.closed_on_time) == (4, 3, 4, 3, 2)
    assert (first.dispatches, first.returns, first.extensions, first.verifications) == (4, 0, 1, 4)
    assert first.overdue_hours == pytest.approx(29)
    assert (second.filed, second.sign_due, second.due, second.dispatches, second.returns) == (1, 1, 1, 2, 1)
    assert second.overdue_hours == pytest.approx(35)

    cells = table(town.community)
    assert list(cells) == ["320213001001001", "320213001001002", "320213001001003", "320213001001004"]
    assert not any(r.drill for r in cells.values())
    assert (cells["320213001001001"].filed, cells["320213001001001"].due,
            cells["320213001001001"].closed_on_time) == (4, 3, 2)  # A B E G; A B H due
    assert (cells["320213001001002"].filed, cells["320213001001002"].due,
            cells["320213001001002"].closed) == (3, 1, 0)  # C F I; C due
    assert cells["320213001001003"].filed == 0 and cells["320213001001003"].on_time_rate is None


def test_period_filtering(march, town, supervisor):
    february = _total(supervisor, town.district, Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28)))
    # H filed and dispatched (30 minutes after acceptance) on 27 February; nothing due.
    assert (february.filed, february.dispatches, february.due, february.verifications) == (1, 1, 0, 0)
    assert february.dispatch_hours == pytest.approx(0.5)
    assert february.handling_mean is None and february.closure_rate is None
    first_days = _total(supervisor, town.district, Period(dt.date(2026, 3, 2), dt.date(2026, 3, 4)))
    # Only H's deadline (3 March) falls in 2–4 March; A and B are due on the 5th.
    assert (first_days.due, first_days.closed_on_time) == (1, 1)
    # Filed A B; verified A (3rd), H (3rd), B failed (4th); B passed on the 6th.
    assert (first_days.filed, first_days.verifications, first_days.reworks) == (2, 3, 1)
    assert first_days.handling_mean == pytest.approx((24 + 97) / 2)  # A and H closed 3 March


def test_a_supervisor_measures_only_their_jurisdiction(march, town):
    other = UserFactory(username="sup_other")
    RoleAssignment.objects.create(user=other, role=RoleAssignment.Role.SUPERVISOR, area=town.other_community)
    area = kpis.supervised_area(user=other, code=None)
    assert area == town.other_community
    row = _total(other, area)
    assert (row.filed, row.due, row.dispatches, row.returns) == (1, 1, 2, 1)  # D only
    for code in ("320213001001", "320213001", "320213", "320200", "999999", "abc"):
        with pytest.raises(kpis.Http404):
            kpis.supervised_area(user=other, code=code)
    assert kpis.supervised_area(user=other, code="320213001002") == town.other_community


def test_grades_by_on_time_closure():
    assert KpiRow(key="", due=20, closed_on_time=19).grade == "good"  # 95 %
    assert KpiRow(key="", due=20, closed_on_time=18).grade == "fair"  # 90 %
    assert KpiRow(key="", due=20, closed_on_time=17).grade == "fair"  # 85 %
    assert KpiRow(key="", due=20, closed_on_time=16).grade == "poor"  # 80 %
    assert KpiRow(key="").grade == ""


def test_overdue_list(march, town, supervisor):
    rows = kpis.with_overdue_hours(kpis.overdue_cases(user=supervisor, area=town.district, now=NOW), now=NOW)
    # D: sign-for deadline 10 March 15:00 passed (overdue since then); C: handling deadline 16 March.
    assert [c.pk for c in rows] == [march["D"].pk, march["C"].pk]
    assert [c.sign_overdue for c in rows] == [True, False]
    assert [c.overdue_hours for c in rows] == pytest.approx([2 + 8 * 7 + 3, 27])
    assert not any(c.urged for c in rows)
    services.case_urge(case_id=march["C"].pk, actor=supervisor, note="hurry", at=NOW)
    urged = {c.pk: c.urged for c in kpis.overdue_cases(user=supervisor, area=town.district, now=NOW)}
    assert urged == {march["D"].pk: False, march["C"].pk: True}
