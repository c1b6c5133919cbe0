"""One place that turns domain errors and database refusals into HTTP answers."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from sharing_platform.errors import DomainError

logger = logging.getLogger(__name__)

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        sqlstate = getattr(getattr(exc, "__cause__", None), "pgcode", None)
        logger.info("integrity error turned into 409: %s", sqlstate)
        if sqlstate == EXCLUSION_VIOLATION:
            message = _("That time is already taken by another booking.")
        elif sqlstate == UNIQUE_VIOLATION:
            message = _("This record already exists.")
        else:
            message = _("The request conflicts with existing data.")
        return Response({"detail": message, "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    response = exception_handler(exc, context)
    # H13: DRF's own refusals (401, 403, 404, 405, 429...) carry a code too, as the error shape says.
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        if isinstance(codes, str):
            response.data["code"] = codes
    return response
