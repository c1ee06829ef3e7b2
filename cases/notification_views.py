"""The signed-in person's notifications: the list behind the header's badge. Opening one
marks it read and goes to its case; the case page still applies its own access check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from access.roles import person
from cases import services
from cases.selectors import notifications_for
from cases.web_boundary import domain_errors

PAGE_SIZE = 30


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = notifications_for(user=person(request.user)).defer("case__location")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/notifications.html", {"page_obj": page_obj, "unread_only": unread_only})


@login_required
@require_POST
@domain_errors()
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """POST, not a link: reading a notification changes it, and a prefetch must not."""
    notification = services.notification_mark_read(notification_id=pk, user=person(request.user))
    return redirect("case-detail", pk=notification.case_id)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(user=person(request.user))
    if marked:
        messages.success(request, ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", marked,
        ) % {"count": marked})
    else:
        messages.info(request, _("Nothing was unread."))
    return redirect("notifications")
