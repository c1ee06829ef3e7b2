"""The OpenAPI schema's account of refusals, for every operation of every app at once.

drf-spectacular documents only the success answer of a view. Ours also answer, through
cases.api.errors.exception_handler:
- a domain error (access.errors.DomainError) as {"code", "detail", ...its extra keys};
- DRF's refusals (not signed in, not allowed, not found, bad JSON) as {"detail"}, or
  {"code", "detail"} for the sign-in refusals of accounts.authentication;
- a serializer's validation errors as {field: [messages]} (nested objects for list items).
Written here once, not per view, so routes made from a registry are described too.

No 401: SessionAuthentication comes first in DEFAULT_AUTHENTICATION_CLASSES and sends no
WWW-Authenticate challenge, so DRF answers a missing or refused credential with 403.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance
from rest_framework import serializers

ERROR = "Error"
VALIDATION_ERRORS = "ValidationErrors"

_COMPONENTS: dict[str, dict[str, Any]] = {
    ERROR: {
        "type": "object",
        "description": _("A refusal: `code` names it (domain errors and sign-in refusals), `detail` says it; "
                         "domain errors may add keys such as `field`."),
        "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
        "required": ["detail"],
    },
    VALIDATION_ERRORS: {
        "type": "object",
        "description": _("Input that did not validate: each field (or non_field_errors) with its messages; "
                         "a list field's messages by item index."),
        "additionalProperties": {"anyOf": [{"type": "array", "items": {}}, {"type": "object"}]},
    },
}

# Reads change nothing, so nothing conflicts and nothing is uploaded.
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _takes_files(serializer: Any) -> bool:
    serializer = force_instance(serializer)
    if not isinstance(serializer, serializers.Serializer):
        return False
    for field in serializer.fields.values():
        if isinstance(field, serializers.ListField):
            field = field.child
        if isinstance(field, serializers.FileField):
            return True
    return False


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema with the error answers, anonymous access where the view
    allows it, and the router's pattern on string path parameters."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for name, schema in _COMPONENTS.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            )
        responses = operation.setdefault("responses", {})
        for code, response in self._error_responses().items():
            responses.setdefault(code, response)
        self._constrain_path_parameters(operation)
        return operation

    def _error_responses(self) -> dict[str, dict[str, Any]]:
        # DRF renders a refusal with the renderer it negotiated, as it would the answer.
        media_types = self.map_renderers("media_type") or ["application/json"]

        def answer(description: Any, schema: dict[str, Any]) -> dict[str, Any]:
            return {"description": description, "content": {media: {"schema": schema} for media in media_types}}

        errors = {
            "400": answer(_("Bad input: a validation error per field, or a refusal with its code."),
                          {"anyOf": [_ref(ERROR), _ref(VALIDATION_ERRORS)]}),
            "403": answer(_("Not signed in, credentials refused, or not allowed to do this."), _ref(ERROR)),
            # Out of scope answers exactly like missing: no existence leak.
            "404": answer(_("No such object, or not one this account may see."), _ref(ERROR)),
        }
        if self.method not in _SAFE_METHODS:
            errors["409"] = answer(_("The object's state does not allow this now (or another change won)."),
                                   _ref(ERROR))
            errors["415"] = answer(_("The body is not in a media type the operation reads, or is malformed."),
                                   _ref(ERROR))
            if _takes_files(self.get_request_serializer()):
                errors["413"] = answer(_("A file is larger than the upload limit."), _ref(ERROR))
        return errors

    def get_auth(self) -> list[dict[str, Any]]:
        auths: list[dict[str, Any]] = super().get_auth()
        # A view with no permission classes at all (the token endpoint) is open to anyone,
        # which drf-spectacular only infers from an explicit AllowAny.
        if not self.view.get_permissions() and {} not in auths:
            auths.append({})
        return auths

    def _constrain_path_parameters(self, operation: dict[str, Any]) -> None:
        # The router's lookup regex, so a client knows which values reach the view at all
        # (a "/" in a code matches no route).
        regex = getattr(self.view, "lookup_value_regex", "[^/.]+")
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter.get("in") == "path" and schema.get("type") == "string" and "pattern" not in schema:
                schema["pattern"] = f"^{regex}$"
