from __future__ import annotations

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from cases.api.views import CaseViewSet, CategoryViewSet, NotificationViewSet

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="api-case")
router.register("categories", CategoryViewSet, basename="api-category")
router.register("notifications", NotificationViewSet, basename="api-notification")

urlpatterns = [
    # POST username + password once, get a token for the Authorization: Token … header.
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
