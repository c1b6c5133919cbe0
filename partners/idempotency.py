"""`Idempotency-Key` for POST endpoints that create things.

Same key + same request -> the stored response is replayed (header `Idempotent-Replayed: true`);
same key + a different request -> 409; a duplicate arriving while the first is still running ->
409 as well (the unique constraint on (owner, key) decides who runs). Only successful (2xx)
responses are stored: after an error the partner may retry with the same key.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from sharing_platform.api.schema import IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, idempotent_operation
from sharing_platform.errors import DomainConflictError, DomainValidationError

from .error_codes import PartnerErrorCode
from .models import IdempotencyRecord
from .permissions import request_partner_key

HEADER = IDEMPOTENCY_KEY_HEADER
MAX_KEY_LENGTH = 255


def idempotency_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "PARTNERS_IDEMPOTENCY_TTL_HOURS", 24))


def request_owner(request) -> str | None:
    key = request_partner_key(request)
    if key is not None:
        return f"partner:{key.partner_id}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def request_fingerprint(request) -> str:
    """sha256 of the parsed body in canonical JSON (key order and whitespace do not matter)."""
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except TypeError:  # uploads and the like: fall back to the raw bytes
        body = request.body.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(*, owner: str, key: str, request, fingerprint: str) -> IdempotencyRecord | None:
    """Insert our record (we run the request: returns None) or return the record already there."""
    now = timezone.now()
    IdempotencyRecord.objects.filter(owner=owner, key=key, created_at__lt=now - idempotency_ttl()).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                owner=owner,
                key=key,
                method=request.method,
                path=request.path[:500],
                request_hash=fingerprint,
                created_at=now,
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing is None:  # deleted between our insert and our read: the other request failed
            raise DomainConflictError(
                _("A request with this Idempotency-Key is being processed; retry shortly."),
                code=PartnerErrorCode.IDEMPOTENCY_IN_PROGRESS,
            ) from None
        return existing
    return None


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise DomainConflictError(
            _("This Idempotency-Key was already used with a different request."),
            code=PartnerErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    if record.response_status is None:
        raise DomainConflictError(
            _("A request with this Idempotency-Key is being processed; retry shortly."),
            code=PartnerErrorCode.IDEMPOTENCY_IN_PROGRESS,
        )
    response = Response(record.response_body, status=record.response_status)
    response[IDEMPOTENT_REPLAYED_HEADER] = "true"
    return response


def idempotent(view_method):
    """Decorate an APIView's `post(self, request, ...)`; the schema documents both headers for it."""

    @idempotent_operation
    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        owner = request_owner(request)
        if key is None or owner is None:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise DomainValidationError(
                _("The Idempotency-Key header must be 1 to %(max)d characters.") % {"max": MAX_KEY_LENGTH},
                field=HEADER,
                code=PartnerErrorCode.IDEMPOTENCY_KEY_INVALID,
            )
        fingerprint = request_fingerprint(request)
        existing = _claim(owner=owner, key=key, request=request, fingerprint=fingerprint)
        if existing is not None:
            return _replay(existing, fingerprint)
        records = IdempotencyRecord.objects.filter(owner=owner, key=key)
        try:
            response = view_method(self, request, *args, **kwargs)
        except BaseException:
            records.delete()  # the request failed: the partner may retry with the same key
            raise
        if 200 <= response.status_code < 300:
            body = json.loads(JSONRenderer().render(response.data) or b"null")
            records.update(response_status=response.status_code, response_body=body, completed_at=timezone.now())
        else:
            records.delete()
        return response

    return wrapper
