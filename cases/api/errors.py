"""API errors: every refusal is JSON with a message, never an HTML 500.

Services' DomainErrors carry their own status and message. Besides DRF's own exceptions,
this turns into a clear 4xx what Django or the database raise for malformed input the
fields let through: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), too many fields or files
(400), and a database DataError (400: a value out of a column's range or not valid for its
type). A DataError from input is the request's fault, not the server's, but it means a
field failed to check its input: it is logged, with the database's words, so the field
gets fixed, and the client reads a message that names no column or type."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from access.errors import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        return Response({"code": "too_large", "detail": _("The request body is too large.")},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response({"code": "invalid", "detail": _("The request has too many fields or files.")},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        request = context.get("request")
        logger.warning("database refused input on %s %s: %s", getattr(request, "method", "?"),
                       getattr(request, "path", "?"), str(exc).strip().splitlines()[0] if str(exc) else exc)
        # The statement failed inside the request's transaction, if there is one.
        set_rollback()
        return Response(
            {"code": "invalid", "detail": _("A value in the request is out of range or not valid for its field.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)


__all__ = ["exception_handler", "status"]
