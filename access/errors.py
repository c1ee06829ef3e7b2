"""Domain errors that services raise; views and the API turn them into HTTP answers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    http_status = 400
    code = "invalid"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.message, **self.extra}


class InvalidTransition(DomainError):
    """The case is not in a state that allows the action (409, naming what is allowed)."""

    http_status = 409
    code = "invalid_transition"


class InvalidInput(DomainError):
    http_status = 400
    code = "invalid"


class NotPermitted(DomainError):
    http_status = 403
    code = "forbidden"


class OutsideCity(InvalidInput):
    code = "outside_city"


class NotFound(DomainError):
    http_status = 404
    code = "not_found"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"


class SwappedCoordinates(OutsideCity):
    code = "swapped_coordinates"
