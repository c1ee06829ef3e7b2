"""Remembers the request being served, so that audit receivers of model signals (a role
assignment saved, a permission granted) know who did it and from where: Django's model
signals carry no request."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

# A ContextVar, not a thread-local: correct under both WSGI threads and ASGI tasks.
_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def current_request() -> HttpRequest | None:
    return _current_request.get()


class AuditRequestMiddleware:
    """Only stores the request: `request.user` is read lazily when an entry is written, so
    the position in MIDDLEWARE does not matter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
