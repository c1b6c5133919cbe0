"""`Authorization: Api-Key <key>`: a partner key authenticates the partner, not a person.

request.user stays anonymous (a key never passes IsAuthenticated on the people's endpoints);
request.auth is the PartnerKey, with its partner loaded.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .error_codes import PartnerErrorCode
from .models import PartnerKey

KEYWORD = "Api-Key"
# last_used_at is written at most this often per key, so a busy key costs no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class PartnerKeyFailed(exceptions.AuthenticationFailed):
    """401 with a code a partner's client can branch on (key_unknown, key_revoked, key_expired...)."""

    def __init__(self, detail, code: str):
        super().__init__(detail=detail, code=code)


def _touch(key: PartnerKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def partner_key_verify(raw_key: str) -> PartnerKey:
    """The usable key for a raw key, or PartnerKeyFailed saying why not. Says "revoked"/"expired"
    only to a caller who holds the real key (the hash is checked first)."""
    prefix, dot, _rest = raw_key.partition(".")
    key = PartnerKey.objects.select_related("partner").filter(prefix=prefix).first() if dot else None
    if key is None or not PartnerKey.objects.key_generator.verify(raw_key, key.hashed_key):
        raise PartnerKeyFailed(_("Unknown API key."), code=PartnerErrorCode.KEY_UNKNOWN)
    if key.revoked:
        raise PartnerKeyFailed(_("This API key has been revoked."), code=PartnerErrorCode.KEY_REVOKED)
    if key.has_expired:
        raise PartnerKeyFailed(_("This API key has expired."), code=PartnerErrorCode.KEY_EXPIRED)
    if not key.partner.is_active:
        raise PartnerKeyFailed(_("This partner organisation is suspended."), code=PartnerErrorCode.PARTNER_INACTIVE)
    return key


class PartnerKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:  # "Api-Key" and the key
            raise PartnerKeyFailed(
                _("Malformed Authorization header: use 'Api-Key <key>'."), code=PartnerErrorCode.KEY_MALFORMED
            )
        try:
            raw_key = header[1].decode()
        except UnicodeError:
            raise PartnerKeyFailed(_("Malformed API key."), code=PartnerErrorCode.KEY_MALFORMED) from None
        key = partner_key_verify(raw_key)
        _touch(key)
        return AnonymousUser(), key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to missing or bad credentials, with WWW-Authenticate.
        return KEYWORD
