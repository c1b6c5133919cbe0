"""The one domain error family. Services raise these; the API handler and the pages map them.

Each carries a message a person understands; `code` is a stable name a program can branch on (a
member of an `ErrorCode` enum: `CommonErrorCode` here, one enum per app in `<app>/error_codes.py`,
all listed in the `API_ERROR_CODES` setting, which the OpenAPI schema enumerates); `field` names the
input at fault, if any; `errors` lists every problem when there are several.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict


class ErrorCode(StrEnum):
    """Base of every enum of error codes. A subclass per app (Saleor's `AccountErrorCode` and the like);
    list it in settings.API_ERROR_CODES so the schema's `ErrorCode` enum carries its members."""


class CommonErrorCode(ErrorCode):
    """Codes any app (and DRF's own refusals) may answer."""

    INVALID = "invalid"  # input failed validation; `errors` says where
    PARSE_ERROR = "parse_error"  # the body is not valid JSON (or not the declared content type)
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    MISSING_SCOPE = "missing_scope"  # a partner key without the scope the endpoint needs
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    CONFLICT = "conflict"  # the database refused the write (a unique or exclusion rule)
    THROTTLED = "throttled"


class ErrorItem(TypedDict, total=False):
    """One problem among several: `message` always; `field` (the input, dotted for nested input; for
    an import, the column), `code` (a validator's code or a booking rule) and `row` (an import row)."""

    message: str
    field: str | None
    code: str
    row: int


class DomainError(Exception):
    """Base of every refusal a service makes. HTTP 400 unless a subclass says otherwise."""

    status_code = 400
    default_code: ErrorCode = CommonErrorCode.INVALID

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: ErrorCode | None = None,
        errors: list[ErrorItem] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code
        # Every problem, when there are several (fields of a form, rows of an import, booking rules).
        self.errors = errors

    def as_dict(self) -> dict:
        """The API's error body: {detail, code, field?, errors?} (the `Error` schema component)."""
        body: dict = {"detail": self.message, "code": self.code}
        if self.field:
            body["field"] = self.field
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class DomainValidationError(DomainError):
    status_code = 400
    default_code = CommonErrorCode.INVALID


class DomainPermissionError(DomainError):
    status_code = 403
    default_code = CommonErrorCode.PERMISSION_DENIED


class DomainNotFoundError(DomainError):
    status_code = 404
    default_code = CommonErrorCode.NOT_FOUND


class DomainConflictError(DomainError):
    """The request is valid but clashes with the current state (a taken slot, a wrong state)."""

    status_code = 409
    default_code = CommonErrorCode.CONFLICT
