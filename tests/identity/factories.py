"""Identity providers pointing at the real test servers."""

from __future__ import annotations

from identity.models import IdentityProvider
from sharing_platform.secret_box import secret_encrypt
from tests.factories import UnitFactory

from .idp.directory import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
from .servers import LDAP_BASE, LDAP_READER_DN, LDAP_READER_PASSWORD, IdpServer, SlapdServer


def cas_provider(idp: IdpServer, *, unit=None, **fields) -> IdentityProvider:
    values = {
        "unit": unit or UnitFactory(name="包头大学", name_en="Baotou University"),
        "display_name": "包头大学统一身份认证",
        "display_name_en": "Baotou University CAS",
        "protocol": IdentityProvider.Protocol.CAS,
        "server_url": idp.cas_url,
        "cas_version": "3",
    }
    return IdentityProvider.objects.create(**(values | fields))


def oidc_provider(idp: IdpServer, *, unit=None, secret: str = OIDC_CLIENT_SECRET, **fields) -> IdentityProvider:
    values = {
        "unit": unit or UnitFactory(name="包头大学", name_en="Baotou University"),
        "display_name": "包头大学 OpenID",
        "display_name_en": "Baotou University OpenID",
        "protocol": IdentityProvider.Protocol.OIDC,
        "server_url": idp.issuer,
        "oidc_client_id": OIDC_CLIENT_ID,
        "secret_encrypted": secret_encrypt(secret),
    }
    return IdentityProvider.objects.create(**(values | fields))


def ldap_provider(slapd: SlapdServer, *, unit=None, mode: str = "direct", **fields) -> IdentityProvider:
    values = {
        "unit": unit or UnitFactory(name="包头大学", name_en="Baotou University"),
        "display_name": "包头大学目录",
        "display_name_en": "Baotou University directory",
        "protocol": IdentityProvider.Protocol.LDAP,
        "server_url": slapd.url,
        "ldap_tls": IdentityProvider.LdapTls.NONE,
        "ldap_bind_mode": mode,
        "ldap_user_dn_template": f"uid={{username}},ou=people,{LDAP_BASE}",
    }
    if mode == "search":
        values |= {
            "ldap_bind_dn": LDAP_READER_DN,
            "ldap_search_base": f"ou=people,{LDAP_BASE}",
            "ldap_search_filter": "(uid={username})",
            "secret_encrypted": secret_encrypt(LDAP_READER_PASSWORD),
        }
    return IdentityProvider.objects.create(**(values | fields))
