"""SNS signature verification: genuine messages pass with either signature version; a changed
field, another key, an untrusted certificate URL or an unknown version are refused."""

from __future__ import annotations

import pytest

from notify_receipts.sns import AWS_SNS_URL_PATTERN, InvalidSnsMessage, SnsVerifier
from tests.support.sns_signing import SnsSigner, ses_message

CERT_URL = "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-abc.pem"


class FakeCertificates:
    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.fetched: list[str] = []

    async def certificate(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem


@pytest.fixture(scope="module")
def signer() -> SnsSigner:
    return SnsSigner.create(CERT_URL)


@pytest.mark.parametrize("version", ["1", "2"])
async def test_a_genuine_notification_verifies(signer: SnsSigner, version: str) -> None:
    certificates = FakeCertificates(signer.certificate_pem)
    body = signer.notification(ses_message("Delivery", "ses-1"), version)
    message = await SnsVerifier(certificates).verify(body)
    assert message.type == "Notification"
    assert "ses-1" in message.message
    assert certificates.fetched == [CERT_URL]


async def test_a_tampered_message_is_refused(signer: SnsSigner) -> None:
    body = signer.notification(ses_message("Delivery", "ses-1"))
    body["Message"] = body["Message"].replace("Delivery", "Bounce")
    with pytest.raises(InvalidSnsMessage, match="does not verify"):
        await SnsVerifier(FakeCertificates(signer.certificate_pem)).verify(body)


async def test_a_message_signed_with_another_key_is_refused(signer: SnsSigner) -> None:
    impostor = SnsSigner.create(CERT_URL)
    body = impostor.notification(ses_message("Delivery", "ses-1"))
    with pytest.raises(InvalidSnsMessage):
        await SnsVerifier(FakeCertificates(signer.certificate_pem)).verify(body)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-2.amazonaws.com/cert.pem",
        "https://sns.eu-west-2.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-2.amazonaws.com/cert.pem",
        "https://s3.amazonaws.com/cert.pem",
    ],
)
async def test_a_certificate_from_anywhere_but_sns_is_never_fetched(signer: SnsSigner, url: str) -> None:
    certificates = FakeCertificates(signer.certificate_pem)
    body = SnsSigner(signer.key, signer.certificate_pem, url).notification(ses_message("Delivery", "x"))
    with pytest.raises(InvalidSnsMessage, match="untrusted"):
        await SnsVerifier(certificates, AWS_SNS_URL_PATTERN).verify(body)
    assert certificates.fetched == []


async def test_an_unknown_signature_version_is_refused(signer: SnsSigner) -> None:
    body = signer.notification(ses_message("Delivery", "x"))
    body["SignatureVersion"] = "3"
    with pytest.raises(InvalidSnsMessage, match="SignatureVersion"):
        await SnsVerifier(FakeCertificates(signer.certificate_pem)).verify(body)


async def test_a_subscription_confirmation_verifies_over_its_own_fields(signer: SnsSigner) -> None:
    body = signer.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "m-1",
            "Token": "tok",
            "TopicArn": "arn:aws:sns:eu-west-2:1:t",
            "Message": "You have chosen to subscribe",
            "SubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=tok",
            "Timestamp": "2026-11-01T00:00:00.000Z",
        },
        "2",
    )
    message = await SnsVerifier(FakeCertificates(signer.certificate_pem)).verify(body)
    assert message.subscribe_url is not None
    body["Token"] = "other"
    with pytest.raises(InvalidSnsMessage):
        await SnsVerifier(FakeCertificates(signer.certificate_pem)).verify(body)
