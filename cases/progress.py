"""Where a case stands for the people working it: who acts next, and how much working time
its running deadline has left (DOMAIN §3). Pure functions over a loaded case: the queue
lists call them per row, so they must never query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, ExtensionRequest
from cases.worktime import working_hours_between

S = Case.Status


def running_deadline(case: Case) -> dt.datetime | None:
    """The deadline the clock is running against now: signing for while dispatched, the
    handling deadline while in progress; none before dispatch or once the unit is done."""
    if case.status == S.DISPATCHED:
        return case.sign_deadline
    if case.status == S.IN_PROGRESS:
        return case.handle_deadline
    return None


@dataclass(frozen=True)
class TimeLeft:
    """Working hours to a deadline (negative: overdue by that many)."""

    hours: float
    overdue: bool
    near: bool

    @property
    def css(self) -> str:
        return "overdue" if self.overdue else "near" if self.near else "on-time"

    @property
    def text(self) -> str:
        if self.overdue:
            late = -self.hours
            if late < 0.05:
                return _("Overdue: the deadline passed outside working hours")
            return ngettext(
                "Overdue by %(hours)s working hour", "Overdue by %(hours)s working hours", _plural(late)
            ) % {"hours": _hours(late)}
        return ngettext(
            "%(hours)s working hour left", "%(hours)s working hours left", _plural(self.hours)
        ) % {"hours": _hours(self.hours)}


def _hours(value: float) -> str:
    # Half-hour steps: finer is noise for a person planning the day; localised separator.
    rounded = round(value * 2) / 2
    return number_format(rounded, decimal_pos=0 if rounded == int(rounded) else 1)


def _plural(value: float) -> int:
    return 1 if round(value * 2) / 2 == 1 else 2


def near_hours(*, signing: bool) -> float:
    """How many working hours before a deadline it counts as near: NEAR_SIGN_FOR_WORKING_HOURS
    for the sign-for deadline (whose limit is itself a few hours), NEAR_DEADLINE_WORKING_HOURS
    for the handling deadline."""
    return float(settings.NEAR_SIGN_FOR_WORKING_HOURS if signing else settings.NEAR_DEADLINE_WORKING_HOURS)


def time_left(deadline: dt.datetime | None, *, now: dt.datetime, near_hours: float) -> TimeLeft | None:
    """Working time from `now` to `deadline`; `near` within `near_hours` working hours."""
    if deadline is None:
        return None
    if deadline < now:
        return TimeLeft(hours=-working_hours_between(deadline, now), overdue=True, near=False)
    hours = working_hours_between(now, deadline)
    return TimeLeft(hours=hours, overdue=False, near=hours <= near_hours)


def running_time_left(case: Case, *, now: dt.datetime) -> TimeLeft | None:
    """time_left of the running deadline, near by that deadline's own threshold: what the
    queues' rows and the case page's progress line show."""
    return time_left(running_deadline(case), now=now, near_hours=near_hours(signing=case.status == S.DISPATCHED))


@dataclass(frozen=True)
class NextStep:
    """Who acts next (a centre, a unit, the reporter, nobody) and what they do."""

    actor: str  # "centre", "unit", "co_handlers", "verifier", "reporter", "none"
    text: str


def next_step(
    case: Case,
    *,
    pending: ExtensionRequest | None = None,
    open_co_handlers: Sequence[str] = (),
) -> NextStep:
    """The next move on `case`, from its status, a pending extension request and the
    co-handling units (names) that have not reported their part yet."""
    centre = case.centre.name
    unit = case.unit.name if case.unit_id and case.unit else _("the handling unit")
    status = case.status
    if status == S.REPORTED:
        return NextStep("centre", _("Next: %(centre)s decides: accept, reject or escalate") % {"centre": centre})
    if status == S.ACCEPTED:
        return NextStep("centre", _("Next: %(centre)s dispatches it to a department unit") % {"centre": centre})
    if pending is not None and status in (S.DISPATCHED, S.IN_PROGRESS):
        return NextStep("centre", _("Next: %(centre)s decides on %(unit)s's extension request")
                        % {"centre": centre, "unit": unit})
    if status == S.DISPATCHED:
        return NextStep("unit", _("Next: %(unit)s signs for it") % {"unit": unit})
    if status == S.IN_PROGRESS:
        if open_co_handlers:
            return NextStep("co_handlers", _("Next: %(unit)s handles it; waiting for the part of %(others)s")
                            % {"unit": unit, "others": "、".join(open_co_handlers)})
        return NextStep("unit", _("Next: %(unit)s handles it and reports back") % {"unit": unit})
    if status == S.HANDLED:
        return NextStep("verifier", _("Next: verification by %(centre)s or the grid worker on site")
                        % {"centre": centre})
    if status == S.CLOSED and case.satisfaction is None:
        return NextStep("reporter", _("Closed. Next: the reporter or the centre may evaluate it"))
    if status == S.CLOSED:
        return NextStep("none", _("Closed and evaluated: nothing left to do"))
    return NextStep("none", _("Rejected: nothing left to do"))
