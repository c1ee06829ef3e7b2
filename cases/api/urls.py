from __future__ import annotations

from rest_framework.routers import DefaultRouter

from cases.api.views import CaseViewSet, CategoryViewSet, NotificationViewSet

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="api-case")
router.register("categories", CategoryViewSet, basename="api-category")
router.register("notifications", NotificationViewSet, basename="api-notification")

# POST /api/auth/token/ (accounts.api, wired in governance/urls.py) gives phones a token.
urlpatterns = [*router.urls]
