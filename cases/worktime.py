"""Working-time arithmetic for deadlines (DOMAIN §3).

Limits count working time: China's public holidays and the weekend days moved to be
working days come from `chinese-calendar`, which carries the State Council's yearly
notices. For a year it has no data for yet, weekdays are working days: a deadline is then
at worst a holiday early, never silently late.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

WORKDAY_START = dt.time(9, 0)
WORKDAY_END = dt.time(17, 0)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _next_workday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _start_of_work(moment: dt.datetime) -> dt.datetime:
    """The first working instant at or after `moment`, in local time."""
    local = moment.astimezone(_tz())
    day = local.date()
    if is_workday(day) and local.time() < WORKDAY_END:
        start = dt.datetime.combine(day, WORKDAY_START, tzinfo=_tz())
        return max(local, start)
    return dt.datetime.combine(_next_workday(day), WORKDAY_START, tzinfo=_tz())


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """`start` plus `hours` of working time (09:00–17:00 on working days)."""
    current = _start_of_work(start)
    remaining = dt.timedelta(hours=hours)
    while True:
        end_of_day = dt.datetime.combine(current.date(), WORKDAY_END, tzinfo=_tz())
        available = end_of_day - current
        if remaining <= available:
            return current + remaining
        remaining -= available
        current = dt.datetime.combine(_next_workday(current.date()), WORKDAY_START, tzinfo=_tz())


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after the day of `start` ("within 3 working
    days" of a Monday report is Thursday 17:00). 0 days means the end of today's work. After
    hours or on a holiday, the next working day counts as the day of `start`."""
    local = start.astimezone(_tz())
    day = local.date()
    if not is_workday(day) or local.time() >= WORKDAY_END:
        # Filed after hours: the clock starts with the next working day.
        day = _next_workday(day)
    for _ in range(days):
        day = _next_workday(day)
    return dt.datetime.combine(day, WORKDAY_END, tzinfo=_tz())


__all__ = ["add_working_days", "add_working_hours", "is_workday", "working_hours_between"]


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working time (hours) from `start` to `end`; 0 when `end` is not after `start`."""
    if end <= start:
        return 0.0
    current = _start_of_work(start)
    total = dt.timedelta()
    end_local = end.astimezone(_tz())
    while current < end_local:
        end_of_day = dt.datetime.combine(current.date(), WORKDAY_END, tzinfo=_tz())
        total += min(end_of_day, end_local) - current
        current = dt.datetime.combine(_next_workday(current.date()), WORKDAY_START, tzinfo=_tz())
    return total.total_seconds() / 3600
