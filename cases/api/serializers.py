"""API serializers. Input and output are separate; status is never writable: it changes
only through the action endpoints, which call the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils.encoding import smart_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from cases.api.fields import WholeIdField, WholeIdRelatedField, WholeNumberField, lazy_message
from cases.models import MAX_EXTENSION_DAYS, Attachment, Case, CaseEvent, Category, DepartmentUnit, Notification
from cases.personal_data import contact_of, free_text_for, mask_numbers_in_text
from cases.selectors import active_leaf_category, leaf_categories, pending_extension, possible_duplicates
from geo.coords import CoordSystem, point_to_wgs84


class CategorySerializer(serializers.ModelSerializer[Category]):
    # null for a top-level category, and for one without a default department (allow_null: the schema says so).
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None, allow_null=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None, allow_null=True)
    default_department = serializers.CharField(source="default_department.name", read_only=True, default=None,
                                               allow_null=True)

    class Meta:
        model = Category
        fields = [
            "code", "name", "parent_code", "parent_name", "default_department", "severity",
            "self_resolvable", "sign_for_hours", "handle_days",
        ]


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    # Photos show people and homes: they are served only through the case's access check
    # (cases.views.case_photo), never as a bare storage URL.
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "url", "created_at"]

    def get_url(self, attachment: Attachment) -> str:
        return reverse("case-photo", args=[attachment.case_id, attachment.pk])


def free_text(context: Mapping[str, Any], case: Case, text: str) -> str:
    """A case's free text for the request's user (cases.personal_data.free_text_for); with no
    request to say who reads, masked."""
    request = context.get("request")
    if request is None:
        return mask_numbers_in_text(text)
    return free_text_for(request.user, case, text)


class CaseEventSerializer(serializers.ModelSerializer[CaseEvent]):
    """A timeline entry; its note (a reason, a result, a comment) as `free_text` shows it,
    for the case in the context ("case"), else the event's own."""

    # null for the system's own moves and for events outside a unit.
    actor = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)
    unit = serializers.CharField(source="unit.name", read_only=True, default=None, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "action", "actor", "role", "unit", "from_status", "to_status", "note", "created_at", "attachments"]

    def to_representation(self, instance: CaseEvent) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data["note"]:
            data["note"] = free_text(self.context, self.context.get("case") or instance.case, data["note"])
        return data


# Formats a case's times exactly as its DateTimeFields do (ISO 8601 in the current time zone).
_DATETIME = serializers.DateTimeField(read_only=True)


def _when(value: dt.datetime | None) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


class CaseSerializer(serializers.ModelSerializer[Case]):
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    grid_cell = serializers.CharField(source="grid_cell.code", read_only=True)
    centre = serializers.CharField(source="centre.code", read_only=True)
    unit = serializers.IntegerField(source="unit_id", read_only=True, allow_null=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None, allow_null=True)
    # "" until the case is rejected: the enum and a blank, as the answer really has it.
    reject_kind = serializers.ChoiceField(choices=Case.RejectKind.choices, read_only=True, allow_blank=True)
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "number", "status", "source", "category", "category_name", "description", "address",
            "lon", "lat", "grid_cell", "centre", "unit", "unit_name", "self_resolved", "reported_at",
            "sign_deadline", "handle_deadline", "closed_at", "reject_kind", "duplicate_of", "rework_count",
            "satisfaction",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Case) -> dict[str, Any]:
        # Written out: every case endpoint answers with this (the list 50 times a page), and
        # DRF's generic walk builds the fields from the model for each serializer and then
        # visits them one by one: ~3 ms a case against ~0.1 ms here (bench/intake.py). The
        # fields above still describe it (OpenAPI); tests/cases/test_case_representation.py
        # holds this to what the generic walk over them gives, for cases in every state.
        case = instance
        return {
            "id": case.pk,
            "number": case.number,
            "status": str(case.status),
            "source": str(case.source),
            "category": case.category.code,
            "category_name": case.category.name,
            "description": free_text(self.context, case, case.description),
            "address": case.address,
            "lon": self.get_lon(case),
            "lat": self.get_lat(case),
            "grid_cell": case.grid_cell.code,
            "centre": case.centre.code,
            "unit": case.unit_id,
            "unit_name": None if case.unit_id is None else case.unit.name,  # type: ignore[union-attr]
            "self_resolved": case.self_resolved,
            "reported_at": _when(case.reported_at),
            "sign_deadline": _when(case.sign_deadline),
            "handle_deadline": _when(case.handle_deadline),
            "closed_at": _when(case.closed_at),
            "reject_kind": str(case.reject_kind),
            "duplicate_of": case.duplicate_of_id,
            "rework_count": case.rework_count,
            "satisfaction": case.satisfaction,
        }

    def get_lon(self, case: Case) -> float:
        return round(case.location.x, 7)

    def get_lat(self, case: Case) -> float:
        return round(case.location.y, 7)


class ContactSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()


# The shapes of CaseDetailSerializer's method fields, for the schema only (they are written out by hand).
class PendingExtensionSerializer(serializers.Serializer[dict[str, Any]]):
    days = serializers.IntegerField()
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()


class PossibleDuplicateSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    distance_m = serializers.FloatField()
    status = serializers.ChoiceField(choices=Case.Status.choices)
    reported_at = serializers.DateTimeField()


class CoHandlerSerializer(serializers.Serializer[dict[str, Any]]):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    reported_at = serializers.DateTimeField(allow_null=True, help_text=_("When the unit reported its part."))


class CaseDetailSerializer(CaseSerializer):
    allowed_actions = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    pending_extension = serializers.SerializerMethodField()
    possible_duplicates = serializers.SerializerMethodField()
    co_handlers = serializers.SerializerMethodField()
    reporter_contact = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "allowed_actions", "attachments", "pending_extension",
                  "possible_duplicates", "co_handlers", "reporter_contact"]
        read_only_fields = fields

    def to_representation(self, instance: Case) -> dict[str, Any]:
        # Written out as CaseSerializer's is, and held to the generic walk by the same test.
        attachments = list(instance.attachments.all())
        return {
            **super().to_representation(instance),
            "allowed_actions": self.get_allowed_actions(instance),
            # The nested serializer, with this one's context: files are absolute URLs.
            "attachments": AttachmentSerializer(attachments, many=True, context=self.context).data if attachments
            else [],
            "pending_extension": self.get_pending_extension(instance),
            "possible_duplicates": self.get_possible_duplicates(instance),
            "co_handlers": self.get_co_handlers(instance),
            "reporter_contact": self.get_reporter_contact(instance),
        }

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_reporter_contact(self, case: Case) -> dict[str, str] | None:
        """Masked, whoever asks: GET /api/cases/{id}/contact/ reveals it to those who call back."""
        contact = contact_of(case)
        if contact.is_empty:
            return None
        masked = contact.masked()
        return {"name": masked.name, "phone": masked.phone, "id_number": masked.id_number}

    @extend_schema_field(CoHandlerSerializer(many=True))
    def get_co_handlers(self, case: Case) -> list[dict[str, Any]]:
        if case.unit_id is None:
            return []  # co-handlers exist only beside a lead unit
        return [
            {"unit": c.unit_id, "unit_name": c.unit.name, "reported_at": c.reported_at}
            for c in case.co_handlers.select_related("unit").order_by("unit__name")
        ]

    @extend_schema_field(PossibleDuplicateSerializer(many=True))
    def get_possible_duplicates(self, case: Case) -> list[dict[str, Any]]:
        """For a report still waiting for the centre: nearby open cases of its category."""
        if case.status != Case.Status.REPORTED or "request" not in self.context:
            return []
        # Only the centre that decides on the report needs them (not the reporter).
        if CaseEvent.Action.REJECT not in self.context.get("allowed_actions", ()):
            return []
        return [
            {"id": other.pk, "number": other.number, "distance_m": other.distance_m,  # type: ignore[attr-defined]
             "status": other.status, "reported_at": other.reported_at}
            for other in possible_duplicates(case=case, user=self.context["request"].user)
        ]

    @extend_schema_field(PendingExtensionSerializer(allow_null=True))
    def get_pending_extension(self, case: Case) -> dict[str, Any] | None:
        if case.status not in (Case.Status.DISPATCHED, Case.Status.IN_PROGRESS):
            return None  # only a case in a unit's hands can have one
        pending = pending_extension(case=case)
        if pending is None:
            return None
        return {"days": pending.days, "reason": free_text(self.context, case, pending.reason),
                "requested_at": pending.requested_at}

    def get_allowed_actions(self, case: Case) -> list[str]:
        return list(self.context.get("allowed_actions", []))


class LeafCategoryField(serializers.SlugRelatedField[Category]):
    """An active leaf category by its code, with SlugRelatedField's messages; read with one
    plain statement instead of a queryset (every report has one: bench/intake.py)."""

    # On the class, not passed in: DRF deep-copies every declared field for each serializer,
    # queryset arguments included, and building this one cost ~0.25 ms a report.
    queryset = leaf_categories()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data: Any) -> Category:
        code = smart_str(data)
        # PostgreSQL refuses NUL in text (a 500 before); no code holds one.
        category = None if "\x00" in code else active_leaf_category(code=code)
        if category is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=code)
        return category


class SharedFieldsSerializer(serializers.Serializer[dict[str, Any]]):
    """Fields built and bound once per class, not copied for every instance.

    DRF deep-copies a serializer's declared fields for each instance, which re-runs every
    field's __init__ (a third of validating a report, bench/intake.py). Validation reads a
    field's settings and its root's `partial`, never writes to it, so for an input
    serializer used without `partial` or a context one bound copy serves every request
    (and every thread). Only for such serializers: nothing here may depend on self.context."""

    _shared_fields: ClassVar[BindingDict]

    @cached_property
    def fields(self) -> BindingDict:
        cls = type(self)
        if "_shared_fields" not in cls.__dict__:
            # Bound to a prototype made without data or context, so no request is kept.
            prototype = cls()
            shared = BindingDict(prototype)
            for name, field in prototype.get_fields().items():
                shared[name] = field
            cls._shared_fields = shared
        return cls._shared_fields


class CaseReportInputSerializer(SharedFieldsSerializer):
    category = LeafCategoryField()
    description = serializers.CharField(max_length=2000)
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    coord_system = serializers.ChoiceField(choices=[c.value for c in CoordSystem], default=CoordSystem.WGS84.value)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    client_key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=9)
    # Who raised it, optional; checked and stored encrypted by the service.
    reporter_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    reporter_id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not -90 <= attrs["lat"] <= 90 and -90 <= attrs["lon"] <= 90 and -180 <= attrs["lat"] <= 180:
            raise serializers.ValidationError(
                {"lat": _("Latitude must be between -90 and 90: longitude and latitude look swapped.")},
                code="swapped_coordinates",
            )
        if not -90 <= attrs["lat"] <= 90:
            raise serializers.ValidationError({"lat": _("Latitude must be between -90 and 90.")})
        if not -180 <= attrs["lon"] <= 180:
            raise serializers.ValidationError({"lon": _("Longitude must be between -180 and 180.")})
        lon, lat = point_to_wgs84(attrs["lon"], attrs["lat"], attrs["coord_system"])
        attrs["location"] = Point(lon, lat, srid=4326)
        return attrs


class ReasonInputSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class RejectInputSerializer(ReasonInputSerializer):
    kind = serializers.ChoiceField(choices=Case.RejectKind.choices, default=Case.RejectKind.INVALID)
    duplicate_of = WholeIdField(required=False, allow_null=True, default=None,
                                help_text=_("Id of the case this one duplicates (kind=duplicate)."))


class ExtensionInputSerializer(ReasonInputSerializer):
    # The service's range and words, checked here too so that no number reaches it unbounded.
    days = WholeNumberField(
        min_value=1, max_value=MAX_EXTENSION_DAYS, help_text=_("Extra working days, 1 to 15."),
        error_messages=dict.fromkeys(("min_value", "max_value"), lazy_message(
            gettext_noop("An extension is 1 to %(max)d working days."), max=MAX_EXTENSION_DAYS)),
    )


class ApproveExtensionInputSerializer(serializers.Serializer[dict[str, Any]]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    pause_clock = serializers.BooleanField(
        default=False, help_text=_("Also give back the working time the request waited for this decision."),
    )


class EvaluateInputSerializer(serializers.Serializer[dict[str, Any]]):
    satisfaction = WholeNumberField(
        min_value=1, max_value=5, help_text=_("1 (very dissatisfied) to 5 (very satisfied)."),
        error_messages=dict.fromkeys(("min_value", "max_value"), _("Satisfaction is a whole number from 1 to 5.")),
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class NoteInputSerializer(serializers.Serializer[dict[str, Any]]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DispatchInputSerializer(NoteInputSerializer):
    unit = WholeIdRelatedField(
        queryset=DepartmentUnit.objects.all(), required=False, allow_null=True, default=None,
        help_text=_("Department unit; the category's default unit in the case's district when omitted."),
    )
    co_handlers = WholeIdRelatedField(
        queryset=DepartmentUnit.objects.all(), many=True, required=False, default=list,
        help_text=_("Units that work beside the lead unit and report their part."),
    )


class ReassignInputSerializer(serializers.Serializer[dict[str, Any]]):
    unit = WholeIdRelatedField(queryset=DepartmentUnit.objects.all())
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class ResultInputSerializer(serializers.Serializer[dict[str, Any]]):
    result = serializers.CharField(max_length=2000, allow_blank=True, default="")


class HandledInputSerializer(serializers.Serializer[dict[str, Any]]):
    result = serializers.CharField(max_length=2000, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=9)


class VerifyInputSerializer(NoteInputSerializer):
    passed = serializers.BooleanField()


class ResolveInputSerializer(serializers.Serializer[dict[str, Any]]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=9)




class NotificationSerializer(serializers.ModelSerializer[Notification]):
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "case", "case_number", "created_at", "read_at"]
        read_only_fields = fields
