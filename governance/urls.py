from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import ObtainTokenView

# JSON for unrouted /api/ URLs, the HTML page for the rest (governance/http_errors.py).
handler404 = "governance.http_errors.page_not_found"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Second factor and the wrapped password change first, then Django's login/logout/….
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's inline start-up script runs under the CSP with a nonce
    # (templates/drf_spectacular/swagger_ui.html); people sign in first, as for any page.
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    # Before cases.api.urls, whose plain DRF token view this replaces: the token endpoint
    # applies the lockout, the second factor and the password rules (accounts.api).
    path("api/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/", include("cases.api.urls")),
    path("api/geo/", include("oversight.api.urls")),
    path("", include("cases.urls")),
    path("", include("oversight.urls")),
    path("", include("risk.urls")),
]
