"""Who may post receipts and inbound texts. Every provider endpoint is authenticated, and refuses
everything while its credentials are not configured (there is no open default):

* MMG and Firetext delivery receipts: the provider's token, in the receipt URL the platform gives
  it (``?token=``) or as the password of HTTP basic auth;
* MMG and Firetext inbound texts: HTTP basic auth with the configured user name and password;
* print-provider callbacks: the token in the callback URL (``?token=``);
* SES events: SNS's own signature (``sns.py``), not this module.

Optionally, only requests from the networks in ``NOTIFY_RECEIPTS_ALLOWED_NETWORKS`` are taken (the
address of the connection's peer: put the allowlist where that is the provider, not a proxy)."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Sequence

from fastapi.security.utils import get_authorization_scheme_param
from pydantic import SecretStr

from notify_common.outbound import Network
from notify_receipts.fastpath import Posted


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _basic(request: Posted) -> tuple[str, str] | None:
    scheme, value = get_authorization_scheme_param(request.header(b"authorization"))
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (ValueError, binascii.Error):
        return None
    return (user, password) if sep else None


def token_ok(request: Posted, expected: SecretStr | None) -> bool:
    """The request carries the token, as ``?token=`` or as the basic-auth password; never true
    while no token is configured."""
    if expected is None or not expected.get_secret_value():
        return False
    secret = expected.get_secret_value()
    given = request.query("token")
    if given is not None:
        return _equal(given, secret)
    basic = _basic(request)
    return basic is not None and _equal(basic[1], secret)


def basic_ok(request: Posted, username: str | None, password: SecretStr | None) -> bool:
    """The request carries exactly these basic-auth credentials; never true while unset."""
    if not username or password is None or not password.get_secret_value():
        return False
    basic = _basic(request)
    if basic is None:
        return False
    user_ok = _equal(basic[0], username)
    password_ok = _equal(basic[1], password.get_secret_value())
    return user_ok and password_ok


def source_ok(request: Posted, allowed: Sequence[Network]) -> bool:
    """True without an allowlist; otherwise the peer's address must be in it."""
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(request.host)
    except ValueError:
        return False
    return any(address in network for network in allowed)
