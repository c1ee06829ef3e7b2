"""Sign-in pages: the second factor (enrol or verify), the password change, the lockout."""

from __future__ import annotations

import base64
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.roles import person
from accounts import services
from accounts.forms import OTPTokenForm
from accounts.middleware import API_PREFIX, refresh_password_verdict
from accounts.selectors import otp_required, otp_verified, password_verdict


def _next_url(request: HttpRequest) -> str:
    """The page to go on to: `next` if it is on this site, else the user's start page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _qr_svg(data: str) -> str:
    """The otpauth:// URL as an inline SVG path: drawn on the server, no script, no CDN.
    The SVG holds only squares of a path, never the text it encodes."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg class="otp-qr" role="img" aria-hidden="true" ', 1)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def otp(request: HttpRequest) -> HttpResponse:
    """/accounts/otp/: administrators and supervisors verify a TOTP code after the password;
    without a confirmed device they enrol one here first (QR code + the secret as text,
    confirmed by a first code). django_otp.login marks the session verified."""
    user = person(request.user)
    next_url = _next_url(request)
    if otp_verified(user) or not otp_required(user):
        return redirect(next_url)
    enrolling = services.otp_confirmed_device(user) is None
    if enrolling and password_verdict(user).reason is not None:
        # A given password first (accounts.middleware.password_before_enrolment): no device,
        # no secret shown, until the owner has chosen their own.
        return redirect_to_login(request.get_full_path(), login_url=reverse("password_change"))
    form = OTPTokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        token = form.cleaned_data["otp_token"]
        try:
            if enrolling:
                device = services.otp_confirm_enrolment(user=user, token=token)
            else:
                device = services.otp_verify(user=user, token=token)
        except services.OTPRefused as refused:
            form.add_error("otp_token", refused.message)
        else:
            # A new session key for the now fully signed-in session, as login() gives one
            # for the password step.
            request.session.cycle_key()
            django_otp.login(request, device)
            if enrolling:
                messages.success(request, _("Your authenticator app is set up. Use it at every sign-in."))
            return redirect(next_url)
    context: dict[str, Any] = {"form": form, "next": next_url, "enrolling": enrolling}
    if enrolling:
        device = services.otp_enrolment_device(user)
        secret = base64.b32encode(device.bin_key).decode()
        context.update(qr_svg=mark_safe(_qr_svg(device.config_url)), secret=_grouped(secret),  # noqa: S308
                       issuer=settings.OTP_TOTP_ISSUER)
    return render(request, "accounts/otp.html", context, status=400 if form.errors else 200)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (old password, new twice, AUTH_PASSWORD_VALIDATORS), telling
    the user why they are here when the change is forced, and going on to `next`."""

    template_name = "registration/password_change_form.html"

    def get_success_url(self) -> str:
        return _next_url(self.request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reason"] = password_verdict(person(self.request.user)).reason
        context["max_age_days"] = settings.PASSWORD_MAX_AGE_DAYS
        context["next"] = self.request.POST.get("next") or self.request.GET.get("next") or ""
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        refresh_password_verdict(self.request)
        messages.success(self.request, _("Your password was changed."))
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def lockout_message() -> str:
    # The same words whether or not the user name exists, and for a lock of the name from
    # this address or of the address itself (accounts.lockout): a lockout reveals nothing.
    return _(
        "Too many failed sign-in attempts from this address: signing in here is locked for %(minutes)d minutes. "
        "An administrator can unlock it sooner."
    ) % {"minutes": settings.AXES_COOLOFF_MINUTES}


def locked_out(
    request: HttpRequest, original_response: HttpResponseBase | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: what AxesMiddleware answers a locked-out sign-in with. 403, not
    axes' default 429: the refusal is about the sign-in (a correct password from the locked
    address is refused too), not the client's rate, and clients retry a 429 on their own."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"code": "locked_out", "detail": lockout_message()}, status=403)
    return render(request, "accounts/locked_out.html", {"message": lockout_message()}, status=403)
