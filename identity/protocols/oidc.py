"""OpenID Connect through Authlib: authorization code with PKCE (S256); state, nonce, audience, issuer and
the ID token's signature (against the provider's JWKS) all checked by Authlib before we read a claim."""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.http import HttpRequest
from django.utils.translation import gettext as _
from joserfc import errors as jose_errors

from identity.error_codes import IdentityErrorCode
from sharing_platform.secret_box import SecretUnavailableError

from ..models import IdentityProvider
from . import ExternalProfile, SignInRefusedError, profile_build

logger = logging.getLogger(__name__)


def _checks() -> dict[str, str]:
    return {
        "state": _("it belongs to another sign-in attempt (state)"),
        "nonce": _("its one-time value does not match this sign-in (nonce)"),
        "aud": _("it was issued for another application (audience)"),
        "iss": _("it was issued by another server (issuer)"),
        "signature": _("its signature does not verify against the provider's keys"),
        "exp": _("it has expired"),
        "token": _("it is not a valid ID token"),
    }


def security_refusal(provider: IdentityProvider, check: str, detail: str) -> SignInRefusedError:
    return SignInRefusedError(
        _("The answer from %(provider)s failed a security check: %(check)s. You were not signed in; start again.")
        % {"provider": provider.name, "check": _checks()[check]},
        code=IdentityErrorCode(f"{check}_invalid"),
        detail=detail,
    )


def _unreachable(provider: IdentityProvider, error: Exception) -> SignInRefusedError:
    return SignInRefusedError(
        _("%(provider)s cannot be reached right now. Try again in a few minutes.") % {"provider": provider.name},
        code=IdentityErrorCode.SERVER_UNREACHABLE,
        detail=f"{type(error).__name__}: {error}",
    )


def _misconfigured(provider: IdentityProvider, detail: str) -> SignInRefusedError:
    return SignInRefusedError(
        _("%(provider)s is not configured correctly. Its administrators have been told.") % {"provider": provider.name},
        code=IdentityErrorCode.PROVIDER_MISCONFIGURED,
        detail=detail,
    )


def issuer_of(provider: IdentityProvider) -> str:
    return provider.server_url.rstrip("/")


def oidc_client(provider: IdentityProvider):
    """An Authlib client for this provider, built per request (providers are rows, not settings)."""
    try:
        secret = provider.secret()
    except SecretUnavailableError as error:
        raise _misconfigured(provider, str(error)) from None
    client_kwargs = {
        "scope": provider.oidc_scopes or "openid",
        "code_challenge_method": "S256",
        "default_timeout": provider.timeout_seconds,
    }
    if not secret:
        client_kwargs["token_endpoint_auth_method"] = "none"  # noqa: S105 - a public client: PKCE alone
    return OAuth().register(
        name=f"identity-provider-{provider.pk}",
        client_id=provider.oidc_client_id,
        client_secret=secret or None,
        server_metadata_url=f"{issuer_of(provider)}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )


def _metadata(provider: IdentityProvider, client) -> dict:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise _unreachable(provider, error) from None
    if str(metadata.get("issuer", "")).rstrip("/") != issuer_of(provider):
        # OpenID Connect Discovery 1.0, section 4.3: the issuer must be the one we asked.
        raise _misconfigured(provider, f"discovery issuer {metadata.get('issuer')!r} is not {issuer_of(provider)!r}")
    return metadata


def oidc_authorization_url(provider: IdentityProvider, request: HttpRequest, *, redirect_uri: str) -> tuple[str, str]:
    """The provider's authorization URL and the state; state, nonce and PKCE verifier are kept in the session."""
    client = oidc_client(provider)
    _metadata(provider, client)
    if "openid" not in (provider.oidc_scopes or "openid").split():
        raise _misconfigured(provider, "the scopes must include openid")
    try:
        found = client.create_authorization_url(redirect_uri)
    except (requests.RequestException, RuntimeError) as error:
        raise _unreachable(provider, error) from None
    client.save_authorize_data(request, redirect_uri=redirect_uri, **found)
    return found["url"], found["state"]


def oidc_callback_profile(provider: IdentityProvider, request: HttpRequest) -> ExternalProfile:
    """Exchange the code (with the PKCE verifier) and verify the ID token; the profile of its claims."""
    client = oidc_client(provider)
    metadata = _metadata(provider, client)
    # Authlib checks aud only through azp unless told: name the issuer and this client as the audience.
    claims_options = {
        "iss": {"essential": True, "values": [metadata["issuer"]]},
        "aud": {"essential": True, "values": [provider.oidc_client_id]},
    }
    try:
        token = client.authorize_access_token(request, claims_options=claims_options)
    except MismatchingStateError as error:
        raise security_refusal(provider, "state", repr(error)) from None
    except OAuthError as error:
        raise SignInRefusedError(
            _("%(provider)s did not sign you in (%(error)s).") % {"provider": provider.name, "error": error.error},
            code=IdentityErrorCode.PROVIDER_ERROR,
            detail=f"{error.error}: {error.description}",
        ) from None
    except jose_errors.BadSignatureError as error:
        raise security_refusal(provider, "signature", repr(error)) from None
    except jose_errors.ExpiredTokenError as error:
        raise security_refusal(provider, "exp", repr(error)) from None
    except jose_errors.ClaimError as error:
        check = {"nonce": "nonce", "aud": "aud", "azp": "aud", "iss": "iss"}.get(error.claim, "token")
        raise security_refusal(provider, check, f"{type(error).__name__}: {error.claim}") from None
    except jose_errors.JoseError as error:
        raise security_refusal(provider, "token", f"{type(error).__name__}: {error}") from None
    except requests.RequestException as error:
        raise _unreachable(provider, error) from None
    claims = token.get("userinfo")
    if not claims:
        raise security_refusal(provider, "token", "the token response carried no id_token")
    return profile_build(provider, dict(claims), email_verified=claims.get("email_verified") is True)
