"""The filter forms of the queues. A value that is not one of the choices (an old
bookmark, a hand-edited URL) is dropped and named on the page, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.selectors import QueueFilters, top_categories

STATE_LABELS = {
    "reported": _("New reports"),
    "accepted": _("Accepted, to dispatch"),
    "returned": _("Returned by the unit"),
    "handled": _("Handled, to verify"),
    "extension": _("Extension requested"),
}
# How one row names its state (the filter's labels name the group).
ROW_STATE_LABELS = {
    "reported": _("New report"),
    "accepted": _("To dispatch"),
    "returned": _("Returned"),
    "handled": _("To verify"),
    "extension": _("Extension requested"),
}
DEADLINE_LABELS = {
    "overdue": _("Overdue"),
    "near": _("Near the deadline"),
    "on_time": _("On time"),
    "none": _("No running deadline"),
}
LEVEL_LABELS = {
    "own": _("This centre's own cases"),
    "escalated": _("Escalated to this centre"),
    "below": _("Centres below"),
}
UNIT_TAB_LABELS = {
    "to_sign": _("To sign"),
    "in_progress": _("In progress"),
    "returned": _("Returned"),
    "overdue": _("Overdue"),
    "co_handling": _("Co-handling"),
}


def _choices(labels: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("", _("All")), *labels.items()]


class CentreQueueFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=_choices(STATE_LABELS), required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, empty_value=None, required=False)
    cell = forms.CharField(label=_("Grid cell (code or name)"), max_length=60, required=False)
    deadline = forms.ChoiceField(label=_("Deadline"), choices=_choices(DEADLINE_LABELS), required=False)
    level = forms.ChoiceField(label=_("Level"), choices=_choices(LEVEL_LABELS), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = list(top_categories())
        field = self.fields["category"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("All")), *((c.pk, c.name) for c in self.categories)]

    def filters(self) -> tuple[QueueFilters, list[str]]:
        """The valid filters, and a message for each value that was dropped."""
        self.is_valid()
        data = self.cleaned_data
        dropped = [f"{self.fields[name].label}: {'; '.join(str(e) for e in errors)}" for name, errors in self.errors.items()]
        return QueueFilters(
            state=data.get("state") or "",
            category=data.get("category"),
            cell=(data.get("cell") or "").strip(),
            deadline=data.get("deadline") or "",
            level=data.get("level") or "",
        ), dropped
