"""Errors services raise; the UI shows their message, the API maps them to status codes."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Also what an actor gets for a row it may not see: existence is never leaked."""

    status_code = 404

    def __init__(self, what: str = "Not found") -> None:
        super().__init__(what)


class Forbidden(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    status_code = 409


class Invalid(ServiceError):
    """Bad input. `field` names the form field or JSON key at fault, when there is one."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
