"""CAS 2.0 / 3.0 through python-cas: the login URL, ticket validation, single log-out requests."""

from __future__ import annotations

import logging
from xml.etree import ElementTree

import requests
from cas import CASClient
from django.utils.translation import gettext as _

from identity.error_codes import IdentityErrorCode

from ..models import IdentityProvider
from . import ExternalProfile, SignInRefusedError, profile_build

logger = logging.getLogger(__name__)
CAS_NS = "{http://www.yale.edu/tp/cas}"


class _TimeoutSession(requests.Session):
    """python-cas calls session.get without a timeout; a server that hangs must not hang the sign-in."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def cas_client(provider: IdentityProvider, service_url: str):
    server_url = provider.server_url if provider.server_url.endswith("/") else provider.server_url + "/"
    return CASClient(
        version=int(provider.cas_version),
        service_url=service_url,
        server_url=server_url,
        session=_TimeoutSession(provider.timeout_seconds),
    )


def cas_login_url(provider: IdentityProvider, service_url: str) -> str:
    return cas_client(provider, service_url).get_login_url()


def _failure_code(response: bytes) -> str:
    """The authenticationFailure code (INVALID_TICKET, INVALID_SERVICE...) for the log."""
    try:
        root = ElementTree.fromstring(response)  # noqa: S314 - the configured CAS server's answer, parsed like python-cas does
    except ElementTree.ParseError:
        return "unparseable"
    failure = root.find(f"{CAS_NS}authenticationFailure")
    if failure is None:
        return "unknown"
    return f"{failure.get('code', '')}: {(failure.text or '').strip()}"[:300]


def cas_ticket_validate(provider: IdentityProvider, *, ticket: str, service_url: str) -> ExternalProfile:
    """Validate a service ticket with the CAS server (/serviceValidate or /p3/serviceValidate)."""
    name = provider.name
    client = cas_client(provider, service_url)
    try:
        response = client.get_verification_response(ticket)
    except requests.RequestException as error:
        raise SignInRefusedError(
            _("%(provider)s cannot be reached right now. Try again in a few minutes.") % {"provider": name},
            code=IdentityErrorCode.SERVER_UNREACHABLE,
            detail=f"{type(error).__name__}: {error}",
        ) from None
    try:
        user, attributes, _pgtiou = client.verify_response(response)
    except ElementTree.ParseError:
        user, attributes = None, None
    if not user:
        raise SignInRefusedError(
            _(
                "%(provider)s did not accept the sign-in ticket: it is forged, already used or expired. "
                "Start the sign-in again."
            )
            % {"provider": name},
            code=IdentityErrorCode.TICKET_INVALID,
            detail=_failure_code(response),
        )
    return profile_build(provider, attributes or {}, default_user_id=user)


def cas_logout_request_ticket(logout_request: str) -> str | None:
    """The service ticket named by a CAS single log-out request (SAML SessionIndex), if any."""
    indexes = CASClient(version=3).get_saml_slos(logout_request.encode())
    if not indexes:
        return None
    text = (indexes[0].text or "").strip()
    return text or None
