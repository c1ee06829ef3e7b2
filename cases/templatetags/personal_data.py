"""A case's free text on a page, with phone and ID numbers masked for those who see the
reporter's contact masked (cases.personal_data.free_text_for, as the API and exports)."""

from __future__ import annotations

from typing import Any

from django import template

from cases.models import Case
from cases.personal_data import free_text_for

register = template.Library()


@register.simple_tag(takes_context=True)
def free_text(context: dict[str, Any], case: Case, text: str | None) -> str:
    """{% free_text case case.description %}; escaped like any {{ value }}."""
    return free_text_for(context["request"].user, case, text or "")
