"""The three protocols, each through a well-kept library: python-cas, ldap3, Authlib.

Each turns what its server said into an ExternalProfile, or raises SignInRefusedError with a
message for the person and a detail for the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from identity.error_codes import IdentityErrorCode
from sharing_platform.errors import DomainPermissionError

from ..models import IdentityProvider


class SignInRefusedError(DomainPermissionError):
    """A sign-in that must not go ahead; `detail` is for the log, `message` for the person."""

    def __init__(self, message: str, *, code: IdentityErrorCode, detail: str = ""):
        super().__init__(message, code=code)
        self.detail = detail or code


@dataclass(frozen=True)
class ExternalProfile:
    """Who the provider says this is, mapped through the provider's attribute mapping."""

    external_id: str
    email: str = ""
    email_verified: bool = False
    display_name: str = ""
    staff_number: str = ""
    department: str = ""
    attributes: dict = field(default_factory=dict)

    def as_session(self) -> dict:
        return {
            "external_id": self.external_id,
            "email": self.email,
            "email_verified": self.email_verified,
            "display_name": self.display_name,
            "staff_number": self.staff_number,
            "department": self.department,
            "attributes": self.attributes,
        }

    @classmethod
    def from_session(cls, data: dict) -> ExternalProfile:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


def _first(value) -> str:
    """Attributes may come as lists (several values) or bytes; keep the first, as text."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return "" if value is None else str(value).strip()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def profile_build(
    provider: IdentityProvider, attributes: dict, *, default_user_id: str = "", email_verified: bool = True
) -> ExternalProfile:
    """Map raw attributes to a profile; refuse when the provider names no user id."""
    attributes = _jsonable(attributes or {})

    def pick(key: str) -> str:
        name = provider.attribute(key)
        return _first(attributes.get(name)) if name else ""

    user_id_name = provider.attribute("user_id")
    external_id = pick("user_id") if user_id_name else _first(default_user_id)
    if not external_id:
        raise SignInRefusedError(
            _("%(provider)s did not say who you are (no user id in its answer). Ask its administrators to check it.")
            % {"provider": provider.name},
            code=IdentityErrorCode.NO_USER_ID,
            detail=f"attribute {user_id_name or 'user'!r} missing; got {sorted(attributes)}",
        )
    return ExternalProfile(
        external_id=external_id[:255],
        email=pick("email")[:254],
        email_verified=email_verified,
        display_name=pick("display_name")[:200],
        staff_number=pick("staff_number")[:100],
        department=pick("department")[:200],
        attributes=attributes,
    )
