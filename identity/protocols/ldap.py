"""LDAP through ldap3: bind as the user (DN template) or search with a service account then bind; TLS honoured."""

from __future__ import annotations

import logging
import ssl

from django.utils.translation import gettext as _
from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from identity.error_codes import IdentityErrorCode
from sharing_platform.secret_box import SecretUnavailableError

from ..models import IdentityProvider
from . import ExternalProfile, SignInRefusedError, profile_build

logger = logging.getLogger(__name__)


def _server(provider: IdentityProvider) -> Server:
    tls = None
    if provider.ldap_tls in {IdentityProvider.LdapTls.START_TLS, IdentityProvider.LdapTls.LDAPS}:
        tls = Tls(
            validate=ssl.CERT_REQUIRED if provider.ldap_tls_verify else ssl.CERT_NONE,
            ca_certs_data=provider.ldap_ca_certificate.strip() or None,
            version=ssl.PROTOCOL_TLS_CLIENT,
        )
    return Server(
        provider.server_url,
        use_ssl=provider.ldap_tls == IdentityProvider.LdapTls.LDAPS,
        tls=tls,
        connect_timeout=provider.timeout_seconds,
        get_info=NONE,
    )


def _connection(provider: IdentityProvider, server: Server, *, user: str | None, password: str | None) -> Connection:
    return Connection(
        server, user=user, password=password, receive_timeout=provider.timeout_seconds, raise_exceptions=False
    )


def _bind(provider: IdentityProvider, connection: Connection) -> bool:
    """Open (StartTLS first when asked) and bind; False when the server refuses the credentials."""
    connection.open()
    if provider.ldap_tls == IdentityProvider.LdapTls.START_TLS and not connection.start_tls():
        raise ldap_errors.LDAPStartTLSError(f"StartTLS refused: {connection.result}")
    return connection.bind()


def _unreachable(provider: IdentityProvider, error: Exception) -> SignInRefusedError:
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, ldap_errors.LDAPStartTLSError) or "certificate" in text.lower() or "ssl" in text.lower():
        return SignInRefusedError(
            _("%(provider)s could not be reached securely (its TLS certificate or settings were not accepted).")
            % {"provider": provider.name},
            code=IdentityErrorCode.TLS_FAILED,
            detail=text,
        )
    return SignInRefusedError(
        _("%(provider)s cannot be reached right now. Try again in a few minutes.") % {"provider": provider.name},
        code=IdentityErrorCode.SERVER_UNREACHABLE,
        detail=text,
    )


def _refused_bind(provider: IdentityProvider, detail: str) -> SignInRefusedError:
    return SignInRefusedError(
        _("%(provider)s did not accept that username and password.") % {"provider": provider.name},
        code=IdentityErrorCode.BIND_REFUSED,
        detail=detail,
    )


def _attribute_names(provider: IdentityProvider) -> list[str]:
    from ..models import ATTRIBUTE_KEYS

    return sorted({name for key in ATTRIBUTE_KEYS if (name := provider.attribute(key))})


def _entry_attributes(connection: Connection, dn: str, names: list[str]) -> dict:
    connection.search(dn, "(objectClass=*)", search_scope=BASE, attributes=names or ["cn"])
    if not connection.entries:
        return {}
    return connection.entries[0].entry_attributes_as_dict


def ldap_authenticate(provider: IdentityProvider, *, username: str, password: str) -> ExternalProfile:
    """Check the person's directory credentials and read their attributes."""
    username = (username or "").strip()
    if not username or not password:
        # An empty password would make an unauthenticated bind, which LDAP servers accept: never try it.
        raise SignInRefusedError(_("Enter your username and password."), code=IdentityErrorCode.CREDENTIALS_MISSING)
    names = _attribute_names(provider)
    server = _server(provider)
    try:
        if provider.ldap_bind_mode == IdentityProvider.LdapBindMode.DIRECT:
            dn = provider.ldap_user_dn_template.replace("{username}", escape_rdn(username))
            connection = _connection(provider, server, user=dn, password=password)
            if not _bind(provider, connection):
                raise _refused_bind(provider, f"bind as {dn}: {connection.result.get('description')}")
        else:
            try:
                service_password = provider.secret()
            except SecretUnavailableError as error:
                raise SignInRefusedError(
                    _("%(provider)s is not configured correctly. Its administrators have been told.")
                    % {"provider": provider.name},
                    code=IdentityErrorCode.PROVIDER_MISCONFIGURED,
                    detail=str(error),
                ) from None
            service = (
                _connection(provider, server, user=provider.ldap_bind_dn, password=service_password)
                if provider.ldap_bind_dn
                else _connection(provider, server, user=None, password=None)  # anonymous search
            )
            if not _bind(provider, service):
                raise SignInRefusedError(
                    _("%(provider)s is not configured correctly. Its administrators have been told.")
                    % {"provider": provider.name},
                    code=IdentityErrorCode.PROVIDER_MISCONFIGURED,
                    detail=f"service account bind refused: {service.result.get('description')}",
                )
            search_filter = provider.ldap_search_filter.replace("{username}", escape_filter_chars(username))
            service.search(provider.ldap_search_base, search_filter, search_scope=SUBTREE, attributes=["1.1"])
            found = [entry.entry_dn for entry in service.entries]
            service.unbind()
            if len(found) != 1:
                raise _refused_bind(provider, f"search {search_filter!r} found {len(found)} entries")
            dn = found[0]
            connection = _connection(provider, server, user=dn, password=password)
            if not _bind(provider, connection):
                raise _refused_bind(provider, f"bind as {dn}: {connection.result.get('description')}")
        attributes = _entry_attributes(connection, dn, names)
        connection.unbind()
    except ldap_errors.LDAPException as error:
        raise _unreachable(provider, error) from None
    return profile_build(provider, attributes)
