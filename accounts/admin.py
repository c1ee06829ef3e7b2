"""Admin: passwords an administrator sets must be replaced by their owner at the next
sign-in, as demo and imported ones (MLPS: no one knows another person's password for long).
Lockouts are lifted in axes' "Access attempts" (delete the rows) or with manage.py
axes_reset_username; lost phones in otp_totp's "TOTP devices" (delete the device)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.models import PasswordState

User = get_user_model()


@admin.register(PasswordState)
class PasswordStateAdmin(admin.ModelAdmin):
    list_display = ("user", "changed_at", "must_change")
    list_filter = ("must_change",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "changed_at")
    fields = ("user", "changed_at", "must_change")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.action(description=_("Require a new password at next sign-in"))
def require_password_change(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    users = list(queryset)
    for user in users:
        services.require_password_change(user)
    modeladmin.message_user(request, ngettext(
        "%(count)d user must choose a new password at next sign-in.",
        "%(count)d users must choose a new password at next sign-in.",
        len(users),
    ) % {"count": len(users)}, messages.SUCCESS)


class UserAdmin(DjangoUserAdmin):
    actions = [require_password_change]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            services.require_password_change(obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        # Saved: Django redirects to the user's change page (a conflicting form redirects
        # back to this one). An administrator changing their own password is not forced.
        if request.method == "POST" and response.status_code == 302 and response["Location"] != request.get_full_path():
            user = self.get_object(request, unquote(id))
            if user is not None and user.pk != request.user.pk and user.has_usable_password():
                services.require_password_change(user)
        return response


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
