"""Who acts next and how much working time is left: the lines the case page and the queues
show (cases.progress)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from cases.models import Case, ExtensionRequest
from cases.progress import next_step, running_deadline, time_left

SH = ZoneInfo("Asia/Shanghai")
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH)
S = Case.Status


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_time_left_counts_working_hours_only():
    left = time_left(dt.datetime(2026, 11, 24, 16, 30, tzinfo=SH), now=TUESDAY_10, near_hours=4)
    assert left is not None and not left.overdue and not left.near
    assert left.text == "6.5 working hours left"
    # Over a night: Tuesday 16:00 to Wednesday 10:00 is 2 working hours, so it is near.
    left = time_left(dt.datetime(2026, 11, 25, 10, 0, tzinfo=SH), now=dt.datetime(2026, 11, 24, 16, 0, tzinfo=SH),
                     near_hours=4)
    assert left is not None and left.near and left.css == "near" and left.text == "2 working hours left"


def test_time_left_over_a_weekend_skips_it():
    friday_16 = dt.datetime(2026, 11, 27, 16, 0, tzinfo=SH)
    left = time_left(dt.datetime(2026, 11, 30, 11, 0, tzinfo=SH), now=friday_16, near_hours=4)
    assert left is not None and left.hours == pytest.approx(3.0) and left.near


def test_overdue_text_says_by_how_many_working_hours():
    left = time_left(dt.datetime(2026, 11, 23, 15, 0, tzinfo=SH), now=dt.datetime(2026, 11, 24, 11, 0, tzinfo=SH),
                     near_hours=4)
    assert left is not None and left.overdue and left.css == "overdue"
    assert left.text == "Overdue by 4 working hours"
    one = time_left(dt.datetime(2026, 11, 24, 9, 0, tzinfo=SH), now=TUESDAY_10, near_hours=4)
    assert one is not None and one.text == "Overdue by 1 working hour"


def test_deadline_passed_after_hours_is_overdue_without_working_time():
    left = time_left(dt.datetime(2026, 11, 24, 17, 0, tzinfo=SH), now=dt.datetime(2026, 11, 24, 20, 0, tzinfo=SH),
                     near_hours=4)
    assert left is not None and left.overdue
    assert left.text == "Overdue: the deadline passed outside working hours"


def test_no_deadline_no_time_left():
    assert time_left(None, now=TUESDAY_10, near_hours=4) is None


def test_time_left_in_chinese():
    with translation.override("zh-hans"):
        left = time_left(dt.datetime(2026, 11, 24, 16, 30, tzinfo=SH), now=TUESDAY_10, near_hours=4)
        assert left is not None and "6.5" in left.text and "工作小时" in left.text


def test_running_deadline_follows_the_status():
    sign, handle = TUESDAY_10, TUESDAY_10 + dt.timedelta(days=3)
    case = Case(sign_deadline=sign, handle_deadline=handle)
    for status, expected in ((S.DISPATCHED, sign), (S.IN_PROGRESS, handle), (S.ACCEPTED, None), (S.HANDLED, None)):
        case.status = status
        assert running_deadline(case) == expected


def _case(town, status: str, **kwargs) -> Case:
    return Case(status=status, centre=town.community, unit=town.unit if status in (S.DISPATCHED, S.IN_PROGRESS, S.HANDLED)
                else None, **kwargs)


@pytest.mark.parametrize(("status", "actor", "words"), [
    (S.REPORTED, "centre", "Next: 县前社区 decides: accept, reject or escalate"),
    (S.ACCEPTED, "centre", "Next: 县前社区 dispatches it to a department unit"),
    (S.DISPATCHED, "unit", "Next: 梁溪区城管局 signs for it"),
    (S.IN_PROGRESS, "unit", "Next: 梁溪区城管局 handles it and reports back"),
    (S.HANDLED, "verifier", "Next: verification by 县前社区 or the grid worker on site"),
    (S.CLOSED, "reporter", "Closed. Next: the reporter or the centre may evaluate it"),
    (S.REJECTED, "none", "Rejected: nothing left to do"),
])
def test_who_acts_next_for_each_status(town, status, actor, words):
    step = next_step(_case(town, status))
    assert (step.actor, step.text) == (actor, words)


def test_evaluated_case_needs_nobody(town):
    assert next_step(_case(town, S.CLOSED, satisfaction=5)).actor == "none"


def test_pending_extension_puts_the_centre_next(town):
    for status in (S.DISPATCHED, S.IN_PROGRESS):
        step = next_step(_case(town, status), pending=ExtensionRequest(days=2, reason="x"))
        assert step.actor == "centre"
        assert step.text == "Next: 县前社区 decides on 梁溪区城管局's extension request"


def test_open_co_handlers_are_named(town):
    step = next_step(_case(town, S.IN_PROGRESS), open_co_handlers=["梁溪区环保局"])
    assert step.actor == "co_handlers" and "梁溪区环保局" in step.text
