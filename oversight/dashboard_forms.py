"""Forms of the supervisor's dashboard and overdue list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DomainErrorFormMixin

# Dates outside these years are typing mistakes, and the far ones would overflow the
# period's end (date.max + 1 day).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label=_("To (inclusive)"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    area = forms.CharField(required=False, widget=forms.HiddenInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        for name, value in (("date_from", start), ("date_to", end)):
            if value and not FIRST_YEAR <= value.year <= LAST_YEAR:
                self.add_error(name, _("Choose a date between %(first)d and %(last)d.")
                               % {"first": FIRST_YEAR, "last": LAST_YEAR})
        if start and end and start > end and not self.errors:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def presets(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(label, from, to) of the quick choices."""
    last_month_end = month_start(today) - dt.timedelta(days=1)
    return [
        (str(_("This month")), month_start(today), month_end(today)),
        (str(_("Last month")), month_start(last_month_end), last_month_end),
        (str(_("This year")), today.replace(month=1, day=1), today.replace(month=12, day=31)),
    ]


class UrgeForm(DomainErrorFormMixin, forms.Form):
    """督办 from the overdue list: a short note to the unit, prefilled and editable."""

    note = forms.CharField(label=_("Note to the unit"), max_length=500)
