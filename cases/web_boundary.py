"""The one place a web view's DomainError becomes an HTTP answer (the API has its own,
cases.api.errors): NotFound is the 404 page, exactly as for a missing object; NotPermitted
the 403 page with its message; any other refusal (400, 409, 413) goes back to the page it
came from, through the view's `on_refusal`, with the message on the form and the status
kept, so nothing typed is lost. Without an `on_refusal` the answer is plain text naming
the field (downloads have no page to go back to)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from access.errors import DomainError, NotFound, NotPermitted

View = TypeVar("View", bound=Callable[..., HttpResponse])
OnRefusal = Callable[..., HttpResponse]  # (request, error, *view args, **view kwargs)


def plain_refusal(request: HttpRequest, error: DomainError, *args: Any, **kwargs: Any) -> HttpResponse:
    field = error.extra.get("field", "")
    return HttpResponse(f"{field}: {error.message}" if field else error.message, status=error.http_status,
                        content_type="text/plain; charset=utf-8")


def domain_errors(on_refusal: OnRefusal = plain_refusal) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except NotFound as missing:
                raise Http404(missing.message) from None
            except NotPermitted as refused:
                raise PermissionDenied(refused.message) from None
            except DomainError as error:
                response = on_refusal(request, error, *args, **kwargs)
                # The refusal's code, as the API's JSON gives it, for scripts and tests.
                response["X-Wangge-Refusal"] = error.code
                return response

        return wrapped  # type: ignore[return-value]

    return decorate
