"""OpenAPI: the API's Basic auth is accounts' subclass; drf-spectacular matches subclasses
for tokens but not for Basic, so /api/docs/ would drop it without this."""

from __future__ import annotations

from drf_spectacular.authentication import BasicScheme


class AccountsBasicScheme(BasicScheme):
    target_class = "accounts.authentication.BasicAuthentication"
