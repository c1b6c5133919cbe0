"""What makes a provider's settings usable, per protocol, as messages per field (model clean() uses it)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

ENV_VAR_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")


def _url_problem(url: str, schemes: set[str]) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return _("This is not a valid address.")
    if parts.scheme not in schemes or not parts.hostname:
        return _("The address must start with %(schemes)s and name a host.") % {
            "schemes": _(" or ").join(f"{scheme}://" for scheme in sorted(schemes))
        }
    if parts.username or parts.password:
        return _("The address must not contain credentials.")
    return None


def _web_schemes() -> set[str]:
    # Plain http only where settings allow it (development, the test servers); production needs https.
    return {"https", "http"} if getattr(settings, "IDENTITY_ALLOW_INSECURE_URLS", False) else {"https"}


def provider_problems(provider) -> dict[str, list[str]]:
    from .models import ATTRIBUTE_KEYS, IdentityProvider

    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    protocol = provider.protocol
    url = (provider.server_url or "").strip()
    if protocol in {IdentityProvider.Protocol.CAS, IdentityProvider.Protocol.OIDC}:
        problem = _url_problem(url, _web_schemes())
        if problem:
            add("server_url", problem)
    if protocol == IdentityProvider.Protocol.LDAP:
        problem = _url_problem(url, {"ldap", "ldaps"})
        if problem:
            add("server_url", problem)
        elif (urlsplit(url).scheme == "ldaps") != (provider.ldap_tls == IdentityProvider.LdapTls.LDAPS):
            add("ldap_tls", _("Use an ldaps:// address with LDAPS, and an ldap:// address otherwise."))
        if provider.ldap_tls not in IdentityProvider.LdapTls.values:
            add("ldap_tls", _("Choose how the connection to the directory is secured."))
        if provider.ldap_bind_mode == IdentityProvider.LdapBindMode.DIRECT:
            if "{username}" not in provider.ldap_user_dn_template:
                add("ldap_user_dn_template", _("The DN template must contain {username}."))
        elif provider.ldap_bind_mode == IdentityProvider.LdapBindMode.SEARCH:
            if not provider.ldap_search_base.strip():
                add("ldap_search_base", _("Give the base DN to search for people in."))
            if "{username}" not in provider.ldap_search_filter:
                add("ldap_search_filter", _("The search filter must contain {username}."))
        else:
            add("ldap_bind_mode", _("Choose how people's passwords are checked."))
        if provider.ldap_ca_certificate.strip() and "BEGIN CERTIFICATE" not in provider.ldap_ca_certificate:
            add("ldap_ca_certificate", _("Paste the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)."))
    if protocol == IdentityProvider.Protocol.OIDC:
        if not provider.oidc_client_id.strip():
            add("oidc_client_id", _("Give the client id this platform is registered with at the provider."))
        if "openid" not in (provider.oidc_scopes or "").split():
            add("oidc_scopes", _("The scopes must include openid."))
    if provider.secret_env_var and not ENV_VAR_NAME.match(provider.secret_env_var):
        add("secret_env_var", _("An environment variable name has capital letters, digits and underscores."))
    mapping = provider.attribute_map
    if not isinstance(mapping, dict):
        add("attribute_map", _("The attribute mapping must be an object of attribute names."))
    else:
        unknown = sorted(set(mapping) - set(ATTRIBUTE_KEYS))
        if unknown:
            add(
                "attribute_map",
                _("Unknown keys %(keys)s; use %(allowed)s.")
                % {"keys": ", ".join(unknown), "allowed": ", ".join(ATTRIBUTE_KEYS)},
            )
        if any(not isinstance(value, str) or len(value) > 100 for value in mapping.values()):
            add("attribute_map", _("Each attribute name must be text of at most 100 characters."))
        if protocol == IdentityProvider.Protocol.LDAP and mapping.get("user_id", "uid") == "":
            add("attribute_map", _("LDAP needs an attribute for the user id."))
    return problems
