"""The test university's directory as CAS attributes and OIDC claims, and its deliberate mistakes."""

from __future__ import annotations

import base64
import json

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .directory import BY_USERNAME


def cas_attributes(user, service) -> dict:
    person = BY_USERNAME.get(user.get_username())
    if person is None:
        return {}
    values = {
        "cn": person.display_name,
        "mail": person.email,
        "employeeNumber": person.staff_number,
        "ou": person.department,
    }
    return {name: value for name, value in values.items() if value}


def oidc_sub(user) -> str:
    return user.get_username()


def oidc_userinfo(claims, user):
    person = BY_USERNAME.get(user.get_username())
    if person is not None:
        claims["name"] = person.display_name
        claims["email"] = person.email
        claims["email_verified"] = person.username != "unverified.mail"
    return claims


def oidc_mis_issue(id_token, user, **kwargs):
    """Tokens a real but misbehaving (or impersonated) provider might issue, for chosen test people."""
    name = user.get_username()
    if name == "mallory-aud":
        id_token["aud"] = "some-other-application"
    elif name == "mallory-iss":
        id_token["iss"] = "https://idp.attacker.example/openid"
    elif name == "mallory-nonce":
        id_token["nonce"] = "a-nonce-from-another-sign-in"
    return id_token


def _b64json(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


class ForgedSignatureMiddleware:
    """For mallory-signature, the token endpoint's ID token is re-signed with a key the JWKS does not hold."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.rstrip("/").endswith("/openid/token") or response.status_code != 200:
            return response
        body = json.loads(response.content)
        token = body.get("id_token")
        if not token:
            return response
        header_segment, payload_segment, _signature = token.split(".")
        payload = _b64json(payload_segment)
        if payload.get("sub") != "mallory-signature":
            return response
        header = _b64json(header_segment)
        body["id_token"] = jwt.encode(payload, self.forger_key, algorithm="RS256", headers={"kid": header.get("kid")})
        response.content = json.dumps(body).encode()
        response["Content-Length"] = str(len(response.content))
        return response
