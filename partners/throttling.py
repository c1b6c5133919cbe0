"""Throttles for the partner API: per key, and per user (a platform user, or a partner's user).

DRF answers 429 with Retry-After. Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
("partner_key", "partner_user"); counters live in the default cache (per process with the
local-memory cache: configure a shared cache, e.g. Redis, when running several processes).
"""

from __future__ import annotations

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import request_partner_key


class _LiveRateThrottle(SimpleRateThrottle):
    """Reads the rate at request time (DRF binds THROTTLE_RATES at import, which override_settings misses)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PartnerKeyRateThrottle(_LiveRateThrottle):
    scope = "partner_key"

    def get_cache_key(self, request, view):
        key = request_partner_key(request)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}


class PartnerUserRateThrottle(_LiveRateThrottle):
    """Per person: a signed-in user by id; a partner's user by (partner, external_id) named in the body."""

    scope = "partner_user"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            key = request_partner_key(request)
            external_id = _external_id(request) if key is not None else None
            if not external_id:
                return None
            # Hashed: external_id is the partner's free text; cache keys must stay short and plain.
            digest = hashlib.sha256(str(external_id).encode()).hexdigest()[:32]
            ident = f"partner:{key.partner_id}:{digest}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _external_id(request) -> str | None:
    if request.method not in {"POST", "PUT", "PATCH"}:
        return None
    try:
        data = request.data
    except Exception:  # a malformed body is for the view to report (400), not the throttle
        return None
    value = data.get("external_id") if hasattr(data, "get") else None
    return str(value)[:100] if value else None


PARTNER_THROTTLES = [PartnerKeyRateThrottle, PartnerUserRateThrottle]
