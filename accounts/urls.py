"""Included at accounts/ before django.contrib.auth.urls, so these win over Django's own."""

from __future__ import annotations

from django.urls import URLPattern, path

from accounts import views

urlpatterns: list[URLPattern] = [
    path("otp/", views.otp, name="accounts-otp"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
]
