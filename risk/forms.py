"""Forms of the grid worker's task screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DomainErrorFormMixin


class TaskDoneForm(DomainErrorFormMixin, forms.Form):
    note = forms.CharField(label=_("What you found"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
