"""Plays Amazon SNS in tests: a signing key with its self-signed certificate, and messages signed
the way SNS signs them (SignatureVersion 1 or 2)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from notify_receipts.sns import string_to_sign

TOPIC_ARN = "arn:aws:sns:eu-west-2:123456789012:ses-events"


@dataclass
class SnsSigner:
    key: rsa.RSAPrivateKey
    certificate_pem: bytes
    cert_url: str

    @classmethod
    def create(cls, cert_url: str) -> SnsSigner:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert.public_bytes(serialization.Encoding.PEM), cert_url)

    def sign(self, body: dict[str, Any], version: str = "1") -> dict[str, Any]:
        signed = {**body, "SignatureVersion": version, "SigningCertURL": self.cert_url}
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS v1 is SHA1
        signature = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
        return {**signed, "Signature": base64.b64encode(signature).decode()}

    def notification(self, message: dict[str, Any], version: str = "1") -> dict[str, Any]:
        import json

        return self.sign(
            {
                "Type": "Notification",
                "MessageId": str(uuid.uuid4()),
                "TopicArn": TOPIC_ARN,
                "Message": json.dumps(message),
                "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe",
            },
            version,
        )


def ses_message(event_type: str, message_id: str, **detail: Any) -> dict[str, Any]:
    """An SES notification as SES publishes it to SNS (addresses are example ones)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body: dict[str, Any] = {
        "notificationType": event_type,
        "mail": {
            "timestamp": now,
            "messageId": message_id,
            "source": "service@notify.example",
            "destination": ["someone@example.com"],
        },
    }
    body[event_type.lower()] = {"timestamp": now, **detail}
    return body
