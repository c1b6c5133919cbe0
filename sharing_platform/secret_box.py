"""Secrets at rest (identity provider secrets, DingTalk signing secrets): Fernet (AES-128-CBC +
HMAC-SHA256, from `cryptography`) with keys from settings. Core: imports no app.

SECRET_ENCRYPTION_KEYS lists Fernet keys, newest first: the first encrypts, every one decrypts, so a
key can be rotated without re-entering the secrets at once. Unset, one key is derived from
SECRET_KEY (HKDF-SHA256), which ties the stored secrets to SECRET_KEY: production sets its own keys.
"""

from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnavailableError(Exception):
    """A stored secret cannot be read: wrong key, or the named environment variable is unset."""


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"identity-provider-secrets", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def _fernet() -> MultiFernet:
    keys = [key for key in getattr(settings, "SECRET_ENCRYPTION_KEYS", []) if key] or [_derived_key()]
    return MultiFernet([Fernet(key) for key in keys])


def secret_encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnavailableError("the stored secret does not decrypt with SECRET_ENCRYPTION_KEYS") from None


def secret_from_environment(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SecretUnavailableError(f"the environment variable {name} is not set")
    return value
