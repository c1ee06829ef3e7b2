"""Numbers of the KPI pages, localised: rates as percentages, hours with one decimal, "—"
where there is nothing to measure (a rate over zero cases)."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()

NOTHING = "—"


@register.filter
def pct(value: float | None) -> str:
    if value is None:
        return NOTHING
    # number_format cuts decimals off; round first so 1/6 reads 16.7 %.
    return f"{number_format(round(value * 100, 1), 1)}%"


@register.filter
def hours(value: float | None) -> str:
    return NOTHING if value is None else str(number_format(round(value, 1), 1, force_grouping=True))


@register.filter
def count(value: int) -> str:
    return str(number_format(value, 0, force_grouping=True))


@register.filter
def bar(value: float | None, scale: float = 1.0) -> str:
    """A bar's width in the 0–100 units of an SVG chart's viewBox."""
    if not value or not scale:
        return "0"
    return f"{min(100.0, 100.0 * value / scale):.1f}"
