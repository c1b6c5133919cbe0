"""The one domain error family. Services raise these; the API handler and the pages map them.

Each carries a message a person understands; `field` names the input at fault, if any.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal a service makes. HTTP 400 unless a subclass says otherwise."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, errors=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code
        # Optional structured detail (for example per-row import errors).
        self.errors = errors

    def as_dict(self) -> dict:
        body: dict = {"detail": self.message, "code": self.code}
        if self.field:
            body["field"] = self.field
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class DomainValidationError(DomainError):
    status_code = 400
    default_code = "invalid"


class DomainPermissionError(DomainError):
    status_code = 403
    default_code = "permission_denied"


class DomainNotFoundError(DomainError):
    status_code = 404
    default_code = "not_found"


class DomainConflictError(DomainError):
    """The request is valid but clashes with the current state (a taken slot, a wrong state)."""

    status_code = 409
    default_code = "conflict"
