from __future__ import annotations

from rest_framework.routers import DefaultRouter

from cases.api.views import CaseViewSet, CategoryViewSet

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="api-case")
router.register("categories", CategoryViewSet, basename="api-category")

urlpatterns = router.urls
