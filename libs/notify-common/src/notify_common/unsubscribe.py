"""Unsubscribe links the platform hosts for templates with "Add an unsubscribe link" (pure).

GOV.UK Notify appends a link to such an email's body and names it in the ``List-Unsubscribe``
header; a recipient (or their mail client, RFC 8058 one-click) POSTs to
``/unsubscribe/<notification_id>/<token>``
(https://docs.notifications.service.gov.uk/python.html, "one_click_unsubscribe_url").

The token is an HMAC-SHA256 of the notification id under a key derived from the platform's
``NOTIFY_SECRET_KEY``, URL-safe base64 without padding: nobody without the key can make one, and a
token made for one notification fails for every other. It holds no personal data. Checks compare
in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

# What GOV.UK Notify appends to the Markdown of a template with an unsubscribe link
# (notifications-utils, template.py): a rule, then the link. The platform's bodies are the
# plain-text rendering, where a link reads "text: url".
LINK_TEXT = "Unsubscribe from these emails"
# The header a one-click client must POST (RFC 8058).
ONE_CLICK = "List-Unsubscribe=One-Click"


class UnsubscribeLinks:
    """Makes and checks the tokens of hosted unsubscribe links."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("NOTIFY_SECRET_KEY is not set: make up writes one under .local/")
        self._key = hashlib.sha256(b"notify-unsubscribe-links:" + secret_key.encode()).digest()

    def token(self, notification_id: str) -> str:
        mac = hmac.new(self._key, _canonical(notification_id).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def is_valid(self, notification_id: str, token: str) -> bool:
        """Whether ``token`` was made for ``notification_id`` with this key."""
        try:
            expected = self.token(notification_id)
        except ValueError:
            return False
        return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))

    def url(self, base_url: str, notification_id: str) -> str:
        """The hosted link of a notification: the confirmation page (GET) and one-click (POST)."""
        nid = _canonical(notification_id)
        return f"{base_url.rstrip('/')}/unsubscribe/{nid}/{self.token(nid)}"


def _canonical(notification_id: str) -> str:
    """The id's one spelling (lower-case, hyphenated), so a token cannot differ by spelling."""
    return str(uuid.UUID(notification_id))


def body_with_link(body: str, url: str) -> str:
    """``body`` followed by the rule and the unsubscribe link, as Notify appends them."""
    return f"{body.rstrip()}\n\n---\n\n{LINK_TEXT}: {url}"


def header_url(own_url: str | None, hosted_url: str | None) -> str | None:
    """The ``List-Unsubscribe`` URL: the service's own ``one_click_unsubscribe_url`` when the send
    gave one, else the hosted link (GOV.UK Notify's ``get_unsubscribe_link_for_headers``)."""
    return own_url or hosted_url
