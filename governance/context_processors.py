from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from access.roles import roles_of
from cases.selectors import unread_notification_count


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "BASEMAP_TILE_URL": settings.BASEMAP_TILE_URL,
        "BASEMAP_ATTRIBUTION": settings.BASEMAP_ATTRIBUTION,
        # The header shows each person only the links their roles give, on every page
        # (error pages included); lazy, so a page without the header reads no role rows.
        "roles": SimpleLazyObject(lambda: roles_of(getattr(request, "user", None))),
        "unread_notifications": SimpleLazyObject(lambda: _unread(request)),
    }


def _unread(request: HttpRequest) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_notification_count(user=user)
