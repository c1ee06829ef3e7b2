"""Django's password backend, refusing up front a user name no account can have."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends, get_user_model

from accounts.lockout import is_possible_username


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is not None and not is_possible_username(str(username)):
            # Looking up a NUL fails in PostgreSQL (a 500 before). The dummy hash keeps the
            # answer as slow as for an unknown name, as Django's own backend does.
            get_user_model()().set_password(password)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
