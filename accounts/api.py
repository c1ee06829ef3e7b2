"""POST /api/auth/token/: DRF's token endpoint with the sign-in rules: axes lockout, a TOTP
code (otp_token) for accounts that need a second factor, no token for a password that must
be changed."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import locked_out_refusal, password_refusal, token_expired
from accounts.selectors import otp_required, password_verdict


class TokenRequestSerializer(AuthTokenSerializer):
    otp_token = serializers.CharField(
        label=gettext_lazy("Authenticator code"), required=False, allow_blank=True, write_only=True,
        help_text=gettext_lazy("The current TOTP code; required for administrators and supervisors."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        user = attrs["user"]
        # A password that must be changed gets no token, before a TOTP code is spent on it.
        if password_verdict(user).reason is not None:
            raise password_refusal()
        if otp_required(user):
            token = attrs.get("otp_token") or ""
            if not token.strip():
                raise serializers.ValidationError({"otp_token": [_(
                    "This account signs in with a second factor: send the current code of your "
                    "authenticator app as otp_token."
                )]})
            try:
                services.otp_verify(user=user, token=token)
            except services.OTPRefused as refused:
                raise serializers.ValidationError({"otp_token": [refused.message]}) from None
        return attrs


class ObtainTokenView(ObtainAuthToken):
    serializer_class = TokenRequestSerializer
    # DRF's token view names its own parsers, plain JSON among them: take the project's
    # (cases.api.parsers, which refuses deep nesting and NUL with a 400).
    parser_classes = APIView.parser_classes

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # axes marked DRF's request when the account is (now) locked: say so, as the
            # login page does, instead of "wrong credentials".
            if getattr(request, "axes_locked_out", False):
                raise locked_out_refusal()
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        # Failures count while consecutive, as on the login page (AXES_RESET_ON_SUCCESS).
        axes_reset(username=user.get_username())
        token, _created = Token.objects.get_or_create(user=user)
        if token_expired(token):
            # A new key, not a renewed date: the old one may be what leaked.
            token.delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key})
