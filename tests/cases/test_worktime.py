"""Working-time arithmetic across China's holidays and adjusted working weekends."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.worktime import add_working_days, add_working_hours, is_workday

BJ = dt.timezone(dt.timedelta(hours=8))


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=BJ)


def test_national_day_and_its_adjusted_saturday():
    assert not is_workday(dt.date(2026, 10, 1))
    assert is_workday(dt.date(2026, 10, 10))  # a Saturday made a working day


@pytest.mark.parametrize(
    ("start", "days", "deadline_day"),
    [
        (at(2026, 9, 28), 3, dt.date(2026, 10, 8)),
        (at(2026, 9, 28), 5, dt.date(2026, 10, 10)),  # lands on the adjusted working Saturday
        (at(2026, 9, 30, 18), 1, dt.date(2026, 10, 9)),  # after hours: the clock starts on 8 Oct
        (at(2026, 11, 23), 0, dt.date(2026, 11, 23)),  # urgent: same day
        (at(2026, 2, 13), 1, dt.date(2026, 2, 14)),  # Saturday 14 Feb worked before Spring Festival
        (at(2026, 2, 13), 2, dt.date(2026, 2, 24)),  # then 15–23 Feb off
    ],
)
def test_add_working_days(start, days, deadline_day):
    deadline = add_working_days(start, days)
    assert deadline.astimezone(BJ).date() == deadline_day
    assert deadline.astimezone(BJ).time() == dt.time(17, 0)


def test_add_working_hours_carries_over_night_and_holiday():
    assert add_working_hours(at(2026, 9, 30, 15), 4) == at(2026, 10, 8, 11)
    assert add_working_hours(at(2026, 11, 21, 12), 2) == at(2026, 11, 23, 11)  # Saturday → Monday
    assert add_working_hours(at(2026, 11, 23, 7), 1) == at(2026, 11, 23, 10)  # before hours


def test_year_without_holiday_data_falls_back_to_weekdays():
    assert is_workday(dt.date(2031, 6, 2))
    assert not is_workday(dt.date(2031, 6, 1))


def test_working_hours_between_skips_nights_weekends_and_holidays():
    from cases.worktime import working_hours_between

    assert working_hours_between(at(2026, 11, 24, 15), at(2026, 11, 25, 11)) == 4
    assert working_hours_between(at(2026, 11, 20, 16), at(2026, 11, 23, 10)) == 2  # over a weekend
    assert working_hours_between(at(2026, 9, 30, 16), at(2026, 10, 8, 10)) == 2  # over National Day
    assert working_hours_between(at(2026, 11, 25, 11), at(2026, 11, 24, 15)) == 0
