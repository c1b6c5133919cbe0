"""Scope checks for partner keys: 403 naming the scope that is missing."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from sharing_platform.errors import CommonErrorCode

from .models import PartnerKey


def request_partner_key(request) -> PartnerKey | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, PartnerKey) else None


class HasScope(BasePermission):
    """`permission_classes = [HasScope("bookings:write")]`.

    DRF instantiates each entry of permission_classes by calling it; an instance returns itself,
    so a configured instance can stand in the list.
    """

    def __init__(self, scope: str):
        self.scope = scope
        # Shown when no partner key was given (a user's token, for example); no key at all gets 401.
        self.message = format_lazy(
            gettext_lazy("This endpoint needs a partner API key with the scope '{scope}'."), scope=scope
        )

    def __call__(self):
        return self

    def has_permission(self, request, view) -> bool:
        key = request_partner_key(request)
        if key is None:
            return False
        if not key.has_scope(self.scope):
            # Raised rather than returned: the instance is shared between requests, its message is not per-request.
            raise exceptions.PermissionDenied(
                _("This API key lacks the scope '%(scope)s'.") % {"scope": self.scope},
                code=CommonErrorCode.MISSING_SCOPE,
            )
        return True
