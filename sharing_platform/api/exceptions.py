"""One place that turns every refusal into the API's one error body, `{detail, code, field?, errors?}`.

Domain errors, DRF's own exceptions (invalid input, a malformed body, 401/403/404/405/415/429),
Django validation errors and database refusals all answer that shape, documented once as the
schema's `Error` component. Views validate with `serializer.is_valid(raise_exception=True)` and
let this handler shape the answer; code that must turn field errors into a `DomainValidationError`
itself (a filter set, a model's `full_clean()`) uses `validation_error()`.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from sharing_platform.errors import CommonErrorCode, DomainError, DomainValidationError, ErrorCode, ErrorItem

logger = logging.getLogger(__name__)

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
GENERAL_ERROR_KEYS = {"non_field_errors", "__all__"}

# The code of a DRF refusal whose own code is not one of ours (DRF and packages use their own names).
CODE_BY_STATUS = {
    400: CommonErrorCode.INVALID,
    401: CommonErrorCode.NOT_AUTHENTICATED,
    403: CommonErrorCode.PERMISSION_DENIED,
    404: CommonErrorCode.NOT_FOUND,
    405: CommonErrorCode.METHOD_NOT_ALLOWED,
    406: CommonErrorCode.NOT_ACCEPTABLE,
    409: CommonErrorCode.CONFLICT,
    415: CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: CommonErrorCode.THROTTLED,
}


@functools.cache
def error_code_enums() -> tuple[type[ErrorCode], ...]:
    """The enums of settings.API_ERROR_CODES (dotted paths), in order."""
    return tuple(import_string(path) for path in settings.API_ERROR_CODES)


def error_codes() -> list[str]:
    """Every code the API may answer, as the schema's `ErrorCode` enum lists them."""
    seen: dict[str, None] = {}
    for enum in error_code_enums():
        seen.update(dict.fromkeys(member.value for member in enum))
    return list(seen)


def _join(path: str | None, name: str) -> str | None:
    if name in GENERAL_ERROR_KEYS:
        return path
    return f"{path}.{name}" if path else name


def _item(field: str | None, message: str, code: str | None) -> ErrorItem:
    item: ErrorItem = {"message": message}
    if field:
        item["field"] = field
    if code:
        item["code"] = str(code)
    return item


def error_items(errors, field: str | None = None) -> list[ErrorItem]:
    """Every message of a DRF error detail, a Django ValidationError or a form's errors, one item each,
    with the input it names (dotted for nested input: `hours.2.opens`) and its code."""
    if hasattr(errors, "as_data"):  # a form's or filter set's ErrorDict: keep the codes
        errors = errors.as_data()
    if isinstance(errors, DjangoValidationError):
        if hasattr(errors, "error_dict"):
            return error_items(errors.error_dict, field)
        return [_item(field, message, error.code) for error in errors.error_list for message in error.messages]
    if isinstance(errors, dict):
        return [item for name, value in errors.items() for item in error_items(value, _join(field, str(name)))]
    if isinstance(errors, list | tuple):
        items: list[ErrorItem] = []
        for index, value in enumerate(errors):
            # A list of nested objects (a ListSerializer): the index is part of the path.
            items += error_items(value, _join(field, str(index)) if isinstance(value, dict) else field)
        return items
    return [_item(field, str(errors), getattr(errors, "code", None))]


def validation_error(errors) -> DomainValidationError:
    """Field errors (a serializer's, a filter set's, a model's full_clean) in the project's error shape:
    the first message as detail ("field: message"), its field, and every message in `errors`."""
    items = error_items(errors) or [_item(None, _("Invalid input."), CommonErrorCode.INVALID)]
    first = items[0]
    field = first.get("field")
    detail = f"{field}: {first['message']}" if field else first["message"]
    return DomainValidationError(detail, field=field, errors=items)


def _known(code) -> bool:
    return isinstance(code, str) and code in error_codes()


def _refusal_body(exc: exceptions.APIException, response: Response) -> dict:
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    codes = exc.get_codes()
    code = codes if _known(codes) else CODE_BY_STATUS.get(response.status_code, CommonErrorCode.INVALID)
    return {"detail": str(detail if detail is not None else exc.default_detail), "code": code}


def api_exception_handler(exc, context):
    if isinstance(exc, exceptions.ValidationError):
        exc = validation_error(exc.detail)
    elif isinstance(exc, DjangoValidationError):
        exc = validation_error(exc)
    if isinstance(exc, DomainError):
        if not _known(exc.code):
            logger.warning("error code %r is in no enum of settings.API_ERROR_CODES", exc.code)
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, IntegrityError):
        sqlstate = getattr(getattr(exc, "__cause__", None), "pgcode", None)
        logger.info("integrity error turned into 409: %s", sqlstate)
        if sqlstate == EXCLUSION_VIOLATION:
            message = _("That time is already taken by another booking.")
        elif sqlstate == UNIQUE_VIOLATION:
            message = _("This record already exists.")
        else:
            message = _("The request conflicts with existing data.")
        return Response({"detail": message, "code": CommonErrorCode.CONFLICT}, status=status.HTTP_409_CONFLICT)
    # DRF's own refusals (401, 403, 404, 405, 415, 429...), with their headers (WWW-Authenticate, Retry-After).
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = _refusal_body(exc, response)
    return response
