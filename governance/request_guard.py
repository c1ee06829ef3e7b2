"""Refusals made before any view runs, for every request, pages and API alike.

- A NUL in the path or query string (`?cell=%00`) is a 400. PostgreSQL text cannot hold
  U+0000, so such a value reached the database as a 500 wherever a view filtered on it
  (the case list's status, cell and category, a category's code in the path, the map's
  model); no URL of ours means one, so none reaches a view.
- A cookie holding a NUL is a 400 that also clears it: the session cookie is looked up in
  PostgreSQL, where `sessionid=…\x00…` was a 500 on every page until the browser dropped it.
- A body declared larger than MAX_REQUEST_BYTES is a 413 before it is read.

The API (/api/…, or a client asking for JSON) gets JSON with a `detail`, pages a short
page. Placed after LocaleMiddleware, so the message is in the person's language."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _has_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path or "\x00" in request.path_info or b"\x00" in unquote_to_bytes(query)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith(API_PREFIX) or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"code": code, "detail": message}, status=status)
    # No request context: the page must not depend on the session or the user (as 500.html).
    return HttpResponse(render_to_string("400.html", {"message": message}), status=status)


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return _refusal(request, 400, "invalid",
                            _("The address (path or query string) may not contain NUL characters."))
        damaged = [name for name, value in request.COOKIES.items() if "\x00" in name or "\x00" in value]
        if damaged:
            response = _refusal(request, 400, "invalid",
                                _("Your browser sent a damaged cookie; it has been cleared. Please load the page again."))
            for name in damaged:
                if "\x00" not in name:  # a name with a NUL cannot be named back to the browser
                    response.delete_cookie(name)
            return response
        if _declared_length(request) > settings.MAX_REQUEST_BYTES:
            return _refusal(request, 413, "too_large", _("The request body is too large."))
        return self.get_response(request)
