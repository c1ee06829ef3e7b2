"""Web forms for the case screens. They check shape (required, ranges, real images) so
errors show next to the field; the rules of the workflow stay in cases.services, which the
views call with the cleaned data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.gis.geos import Point
from django.core.files.base import File
from django.utils.translation import gettext_lazy as _

from access.errors import DomainError
from cases.attachments import MAX_PHOTOS, PayloadTooLarge, validate_photo
from cases.models import Case, Category, DepartmentUnit
from cases.selectors import leaf_categories, units_serving
from geo.coords import CoordSystem, point_to_wgs84

PHOTO_ACCEPT = "image/*"


class PhotoInput(forms.FileInput):
    """A file input that opens the phone camera (capture) but still allows the gallery."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"accept": PHOTO_ACCEPT, "capture": "environment", **(attrs or {})})


class MultiplePhotoInput(PhotoInput):
    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"multiple": True, **(attrs or {})})


class MultiplePhotoField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked like a single one; the cleaned value is a list.
    A tenth is refused as a whole (nothing is silently dropped)."""

    widget = MultiplePhotoInput

    def clean(self, data: Any, initial: Any = None) -> list[File]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("At most %(max)d photos; you chose %(count)d. Remove some and send again."),
                code="too_many", params={"max": MAX_PHOTOS, "count": len(files)},
            )
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        cleaned = [super(MultiplePhotoField, self).clean(f, initial) for f in files]
        return [clean_photo_field(f) for f in cleaned if f is not None]  # type: ignore[misc]


def clean_photo_field(photo: File | None) -> File | None:
    """The same check the services make, done early so the error sits on the photo field.
    An oversize photo keeps the code "too_large" so the view can answer 413."""
    if photo is None:
        return None
    try:
        validate_photo(photo)
    except PayloadTooLarge as error:
        raise forms.ValidationError(error.message, code="too_large") from None
    except DomainError as error:
        raise forms.ValidationError(error.message, code="invalid_image") from None
    return photo


class DomainErrorFormMixin:
    """Puts a service's DomainError on the field it names, so nothing typed is lost."""

    # Services name fields in their own words; map them onto this form's field names.
    service_fields: dict[str, str] = {"photos": "photo"}

    def add_domain_error(self, error: DomainError) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        name = str(error.extra.get("field") or "")
        name = self.service_fields.get(name, name)
        # Hidden fields have no place to show an error: those go to the top of the form.
        visible = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if visible else None, error.message)

    def has_too_large_photo(self) -> bool:
        form: forms.BaseForm = self  # type: ignore[assignment]
        return any(e.code == "too_large" for e in form.errors.as_data().get("photo", []))


class ReportForm(DomainErrorFormMixin, forms.Form):
    service_fields = {"photos": "photo", "location": "lon"}

    category = forms.TypedChoiceField(label=_("Category"), coerce=int, empty_value=None)
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Address (optional)"), max_length=200, required=False)
    # Filled by the map or the phone's GPS; typed by hand only as a fallback. No range
    # check here: the service tells "outside the city" from "longitude and latitude swapped".
    lon = forms.FloatField(label=_("Longitude"), required=False,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    lat = forms.FloatField(label=_("Latitude"), required=False,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    coord_system = forms.ChoiceField(
        label=_("Coordinate system"),
        choices=[(CoordSystem.WGS84, _("WGS84 (GPS)")), (CoordSystem.GCJ02, _("GCJ-02 (AMap, Tencent)")),
                 (CoordSystem.BD09, _("BD-09 (Baidu)"))],
        initial=CoordSystem.WGS84,
    )
    photo = MultiplePhotoField(label=_("Photos"), required=False,
                               help_text=_("Up to 9 photos: take them or choose them from the phone."))
    # The person who raised it, when there is one (cases.personal_data checks the values and
    # the service stores them encrypted); autocomplete off on a shared phone.
    reporter_name = forms.CharField(label=_("Name"), max_length=50, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))
    reporter_phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    reporter_id_number = forms.CharField(label=_("ID number"), max_length=18, required=False,
                                         widget=forms.TextInput(attrs={"autocomplete": "off"}))
    # One key per filled form: a resubmit after a lost response finds the first case.
    client_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {c.pk: c for c in leaf_categories()}
        groups: dict[str, list[tuple[int, str]]] = {}
        for category in self.categories.values():
            parent_name = category.parent.name if category.parent else ""
            groups.setdefault(parent_name, []).append((category.pk, category.name))
        field = self.fields["category"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose a category"))] + [(name, items) for name, items in groups.items()]

    def clean_category(self) -> Category:
        pk = self.cleaned_data["category"]
        category = self.categories.get(pk)
        if category is None:
            raise forms.ValidationError(_("Choose a category from the list."))
        return category

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lon, lat = data.get("lon"), data.get("lat")
        if "lon" not in self.errors and "lat" not in self.errors:
            if lon is None or lat is None:
                self.add_error("lon", _("Set the place: tap the map or use my location."))
            else:
                x, y = point_to_wgs84(lon, lat, data.get("coord_system") or CoordSystem.WGS84)
                data["location"] = Point(x, y, srid=4326)
        return data


class NoteForm(DomainErrorFormMixin, forms.Form):
    """Accept, dispatch and verify: an optional note on the timeline."""

    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RequiredNoteForm(NoteForm):
    """Urge: the note says what is expected."""

    note = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(NoteForm):
    """Verify pass: an optional note and photos of what the verifier saw (a grid worker on
    site takes them)."""

    photo = MultiplePhotoField(label=_("Photos from the site"), required=False)


class VerifyFailForm(VerifyForm):
    """Verify fail: the note says what is still wrong; photos show it."""

    note = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(DomainErrorFormMixin, forms.Form):
    """Reject and return: a reason is required."""

    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(ReasonForm):
    """Reject: why, and for a duplicate the case it repeats (merged in one step)."""

    kind = forms.ChoiceField(label=_("Rejected as"), choices=Case.RejectKind.choices, initial=Case.RejectKind.INVALID,
                             required=False)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or Case.RejectKind.INVALID
    # Operators know cases by their number, the merge buttons send the id: both are taken.
    duplicate_of = forms.CharField(
        label=_("Duplicate of case (number)"), required=False, max_length=24,
        help_text=_("Only when rejecting as a duplicate: the number of the case it repeats."),
    )
    field_order = ["kind", "duplicate_of", "reason"]

    def clean_duplicate_of(self) -> str | None:
        """Only the shape: which case the digits name, and whether this person may see it, is
        the service's to say (one answer for a missing case and one out of their scope)."""
        value = (self.cleaned_data.get("duplicate_of") or "").strip()
        if not value:
            return None
        # isascii: isdigit() and int() also read full-width and other scripts' digits ("１２" as 12).
        if not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(_("Enter the case number (digits only)."))
        return value


class ExtensionForm(ReasonForm):
    days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=15, initial=2)
    field_order = ["days", "reason"]


class ExtensionDecisionForm(NoteForm):
    pause_clock = forms.BooleanField(
        label=_("Also give back the working time the request waited"), required=False,
    )


class EvaluateForm(DomainErrorFormMixin, forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        coerce=int,
        choices=[(5, _("5 – very satisfied")), (4, _("4 – satisfied")), (3, _("3 – neutral")),
                 (2, _("2 – dissatisfied")), (1, _("1 – very dissatisfied"))],
    )
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class EmptyForm(DomainErrorFormMixin, forms.Form):
    """Sign for: nothing to fill in."""


class DispatchForm(DomainErrorFormMixin, forms.Form):
    per_cell = True  # offers the units serving the case's cell (cases.selectors.units_serving)

    unit = forms.ModelChoiceField(label=_("Handling unit"), queryset=DepartmentUnit.objects.none())
    co_handlers = forms.ModelMultipleChoiceField(
        label=_("Co-handling units"), queryset=DepartmentUnit.objects.none(), required=False,
        help_text=_("Optional: units that work beside the lead unit and report their part."),
        # Ticking boxes, not a ctrl-click multi-select nobody finds on a phone.
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, cell_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_serving(cell_code)
        for name in ("unit", "co_handlers"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = units


class ReassignForm(ReasonForm):
    """改派: the centre sends a dispatched case to another unit."""

    per_cell = True

    unit = forms.ModelChoiceField(label=_("New handling unit"), queryset=DepartmentUnit.objects.none())
    field_order = ["unit", "reason"]

    def __init__(self, *args: Any, cell_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units_serving(cell_code)


class PartForm(DomainErrorFormMixin, forms.Form):
    """A co-handling unit's report of its part."""

    result = forms.CharField(label=_("What your unit did"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class HandledForm(DomainErrorFormMixin, forms.Form):
    result = forms.CharField(label=_("Result"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    photo = MultiplePhotoField(label=_("Photos of the result"), required=False)


class ResolveOnSpotForm(DomainErrorFormMixin, forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    photo = MultiplePhotoField(label=_("Photos of the result"))
