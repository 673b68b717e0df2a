"""Encryption at rest for secrets kept in the database (carrier auth tokens).

Values are encrypted with Fernet. The keys come from FIELD_ENCRYPTION_KEYS
(comma-separated, newest first, so keys can be rotated: new values use the
first key, old values still decrypt with the others); without it, one key is
derived from SECRET_KEY.
"""

import base64
import hashlib
import logging
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

logger = logging.getLogger(__name__)


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        digest = hashlib.sha256(f"thoughtflow-fields:{secret_key}".encode()).digest()
        keys = (base64.urlsafe_b64encode(digest).decode(),)
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64 bytes); "
            "generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a stored value; "" when no configured key can.

    An unreadable secret must not make its row unloadable: the admin has to
    be able to open the row and enter the secret again.
    """
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        logger.error(
            "stored secret cannot be decrypted: SECRET_KEY or FIELD_ENCRYPTION_KEYS "
            "changed since it was saved; restore the old key (listed after the "
            "new one in FIELD_ENCRYPTION_KEYS) or enter the secret again"
        )
        return ""


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; reads and writes plain strings."""

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> str | None:
        return decrypt(value) if value else value

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
