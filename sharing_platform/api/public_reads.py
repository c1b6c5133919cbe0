"""Public reads that partners may also make with their API key (`Authorization: Api-Key <key>`).

The catalogue and the public credit data stay open to everyone (anonymous, session, token); a
request that carries a partner key is authenticated as that partner and must hold the read scope
(`catalogue:read`, `credit:read`), else it gets 403 naming the scope. An unknown, revoked or
expired key gets 401, never a silent anonymous read.

The partner key authentication is configured in settings (`PUBLIC_READ_AUTHENTICATION_CLASSES`, the
project's wiring), so apps below the partner layer (instruments, credit) use this module without
importing partners.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from sharing_platform.errors import CommonErrorCode

CATALOGUE_READ = "catalogue:read"
CREDIT_READ = "credit:read"


def public_read_authentication() -> list:
    """The project's default authentication (token, session) plus those of settings.PUBLIC_READ_AUTHENTICATION_CLASSES
    (the partner key)."""
    extra = [import_string(path) for path in settings.PUBLIC_READ_AUTHENTICATION_CLASSES]
    return [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, *extra]


class PublicReadScope(BasePermission):
    """Anyone may read; a partner key must carry `scope`. Use as `permission_classes = [PublicReadScope(...)]`
    (an instance returns itself when DRF instantiates the list)."""

    public_read = True  # documented as public, with a 403 for keys lacking the scope

    def __init__(self, scope: str):
        self.scope = scope

    def __call__(self):
        return self

    def has_permission(self, request, view) -> bool:
        key = request.auth
        has_scope = getattr(key, "has_scope", None)
        if has_scope is not None and not has_scope(self.scope):
            raise exceptions.PermissionDenied(
                _("This API key lacks the scope '%(scope)s'.") % {"scope": self.scope},
                code=CommonErrorCode.MISSING_SCOPE,
            )
        return True
