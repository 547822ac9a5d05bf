"""Amazon SNS HTTP(S) messages: parsing and signature verification, without trusting the sender.

SNS signs every message it posts (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) over a
canonical string of some of its fields, with a key whose X.509 certificate it publishes at
``SigningCertURL``. We accept a certificate only from a URL matching the trusted pattern (in
production ``https://sns.<region>.amazonaws.com/``), fetch it through a ``CertificateSource`` (the
real one over HTTPS with a cache; tests inject one), and verify the signature with ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AWS_SNS_URL_PATTERN = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"

_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}


class InvalidSnsMessage(Exception):
    """Not a genuine SNS message: malformed, from an untrusted certificate URL, or a bad signature."""


class CertificateSource(Protocol):
    async def certificate(self, url: str) -> bytes:
        """The PEM bytes of the certificate at ``url`` (already checked to be trusted)."""
        ...


@dataclass(frozen=True)
class SnsMessage:
    type: str
    message_id: str
    topic_arn: str
    message: str
    subscribe_url: str | None


def string_to_sign(body: Mapping[str, Any]) -> bytes:
    """The canonical text SNS signs: ``name\\nvalue\\n`` for each signed field present, in order."""
    fields = _SIGNED_FIELDS.get(str(body.get("Type")))
    if fields is None:
        raise InvalidSnsMessage("unknown SNS message type")
    parts = []
    for name in fields:
        if name in body and body[name] is not None:
            parts.append(f"{name}\n{body[name]}\n")
        elif name != "Subject":
            raise InvalidSnsMessage(f"SNS message without {name}")
    return "".join(parts).encode()


class SnsVerifier:
    def __init__(self, source: CertificateSource, trusted_url_pattern: str = AWS_SNS_URL_PATTERN) -> None:
        self._source = source
        self._trusted = re.compile(trusted_url_pattern)

    def trusted(self, url: str) -> bool:
        return bool(self._trusted.match(url))

    async def verify(self, body: Mapping[str, Any]) -> SnsMessage:
        """The message, if genuine; raises ``InvalidSnsMessage`` otherwise."""
        hash_type = _HASHES.get(str(body.get("SignatureVersion")))
        if hash_type is None:
            raise InvalidSnsMessage("unsupported SignatureVersion")
        cert_url = str(body.get("SigningCertURL", ""))
        if not self.trusted(cert_url):
            raise InvalidSnsMessage("untrusted SigningCertURL")
        try:
            signature = base64.b64decode(str(body.get("Signature", "")), validate=True)
        except binascii.Error as exc:
            raise InvalidSnsMessage("signature is not base64") from exc
        signed = string_to_sign(body)
        try:
            cert = x509.load_pem_x509_certificate(await self._source.certificate(cert_url))
        except ValueError as exc:
            raise InvalidSnsMessage("signing certificate is not a PEM certificate") from exc
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise InvalidSnsMessage("signing certificate has no RSA key")
        try:
            key.verify(signature, signed, padding.PKCS1v15(), hash_type())
        except InvalidSignature as exc:
            raise InvalidSnsMessage("signature does not verify") from exc
        subscribe_url = body.get("SubscribeURL")
        return SnsMessage(
            type=str(body["Type"]),
            message_id=str(body["MessageId"]),
            topic_arn=str(body["TopicArn"]),
            message=str(body["Message"]),
            subscribe_url=str(subscribe_url) if subscribe_url is not None else None,
        )


class HttpCertificateSource:
    """Fetches certificates over HTTP(S) and keeps them (SNS rotates them rarely)."""

    def __init__(self, client: httpx.AsyncClient, max_entries: int = 32) -> None:
        self._client = client
        self._cache: dict[str, bytes] = {}
        self._max = max_entries

    async def certificate(self, url: str) -> bytes:
        cached = self._cache.get(url)
        if cached is not None:
            return cached
        try:
            response = await self._client.get(url, timeout=5.0, follow_redirects=False)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise InvalidSnsMessage("signing certificate could not be fetched") from exc
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[url] = response.content
        return response.content
