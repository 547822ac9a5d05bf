"""Encryption at rest for API key secrets.

HS256 verification needs the plaintext secret, so secrets cannot be hashed; they are encrypted with
Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key derived from
``NOTIFY_SECRET_KEY``. Plaintext secrets exist only in memory and are never logged.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("NOTIFY_SECRET_KEY is not set: make up writes one under .local/")
        digest = hashlib.sha256(b"notify-api-key-secrets:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("API key secret cannot be decrypted with this NOTIFY_SECRET_KEY") from exc
