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


class Unavailable(ServiceError):
    """Something outside Portico (the file store) did not answer: nothing was changed; the user may try again."""

    status_code = 503


class Invalid(ServiceError):
    """Bad input. `field` names the form field or JSON key at fault, when there is one.

    A form checked as a whole raises its first problem with the rest in `others`, so a page can mark every
    field at once; the API answers with the first.
    """

    status_code = 422

    def __init__(self, message: str, field: str | None = None, others: tuple[Invalid, ...] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.others = others

    @property
    def problems(self) -> tuple[Invalid, ...]:
        return (self, *self.others)

    @classmethod
    def of(cls, problems: list[Invalid]) -> Invalid:
        """One error standing for all of `problems` (at least one)."""
        first, *rest = problems
        return cls(first.message, first.field, tuple(rest))
