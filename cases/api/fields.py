"""Whole numbers and ids in API input, checked before they reach the ORM.

DRF's PrimaryKeyRelatedField hands its input to `queryset.get(pk=…)`, and Django's
IntegerField turns 53.7 into 53: `{"unit": 53.7}` dispatched to unit 53. Its IntegerField
reads "2.0" and full-width "５" as integers and has no range, so a number too big for the
column reached PostgreSQL. Here an id or a count is a JSON integer or a string of ASCII
digits (what a form sends), never a float or a boolean, inside the column's range, and
anything else is a 400 at its field."""

from __future__ import annotations

import re
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField

from access.errors import InvalidInput

# bigint, the type of every id (BigAutoField) and of PostgreSQL's LIMIT and OFFSET.
MAX_BIGINT = 2**63 - 1
# Python's int() also reads full-width digits and surrounding spaces; a query string or a
# form field holding those is a typo or a probe, not a number.
_WHOLE = re.compile(r"[+-]?[0-9]{1,40}")
# Co-handlers beside one lead unit: a case involves a few departments, not dozens, and each
# id costs a lookup.
MAX_RELATED_IDS = 32


def lazy_message(message: str, **params: Any) -> str:
    """A %-formatted message translated when shown, for a field's error_messages, which
    are built once at import (a service's message, reused for the same rule)."""
    return lazy(lambda: _(message) % params, str)()


def parse_whole(data: Any) -> int | None:
    """`data` as an int when it is a JSON integer or a string of ASCII digits, else None."""
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        return data
    if isinstance(data, str) and _WHOLE.fullmatch(data):
        return int(data)
    return None


def whole_number(raw: str, *, name: str, minimum: int, maximum: int | None = None) -> int:
    """A number from the query string, at least `minimum` and at most `maximum` (if given).
    Raises InvalidInput (400) naming the parameter."""
    value = parse_whole(raw)
    if value is None or value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            message = _("%(name)s must be a whole number of at least %(min)d.") % {"name": name, "min": minimum}
        else:
            message = _("%(name)s must be a whole number from %(min)d to %(max)d.") % {
                "name": name, "min": minimum, "max": maximum}
        raise InvalidInput(message, field=name)
    return value


def query_id(raw: str, *, name: str) -> int:
    """An id from the query string (`?unit=12`)."""
    return whole_number(raw, name=name, minimum=1, maximum=MAX_BIGINT)


class WholeNumberField(serializers.IntegerField):
    """An integer, given as a JSON integer or a string of digits, within [min_value,
    max_value] (by default the range of a bigint column)."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a whole number (such as 3), not {input}."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -MAX_BIGINT - 1)
        kwargs.setdefault("max_value", MAX_BIGINT)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        value = parse_whole(data)
        if value is None:
            self.fail("invalid", input=_shown(data))
        return value


class WholeIdField(WholeNumberField):
    """The id of a row, checked by the service that reads it (duplicate_of)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class _BoundedManyRelatedField(ManyRelatedField):
    default_error_messages = {
        "too_many": gettext_lazy("At most {max} ids."),
    }

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, (list, tuple)) and len(data) > MAX_RELATED_IDS:
            self.fail("too_many", max=MAX_RELATED_IDS)
        return list(super().to_internal_value(data))


class WholeIdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by its id: a whole number in a bigint's range, or a 400 before any
    query; `many=True` takes at most MAX_RELATED_IDS of them."""

    default_error_messages = {
        "incorrect_type": gettext_lazy("Give the id as a whole number (such as 53), not {data_type}."),
    }

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> ManyRelatedField:
        # DRF's many_init, building the bounded list field instead of ManyRelatedField.
        list_kwargs = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return _BoundedManyRelatedField(child_relation=cls(*args, **kwargs), **list_kwargs)

    def to_internal_value(self, data: Any) -> Any:
        pk = parse_whole(data)
        if pk is None:
            self.fail("incorrect_type", data_type=_shown(data))
        if not 1 <= pk <= MAX_BIGINT:
            self.fail("does_not_exist", pk_value=pk)
        return super().to_internal_value(pk)


def _shown(data: Any) -> str:
    """The refused input as the message quotes it: short, and its type when not text."""
    if isinstance(data, str):
        return repr(data[:20])
    if isinstance(data, (bool, int, float)):
        return repr(data)
    return type(data).__name__
