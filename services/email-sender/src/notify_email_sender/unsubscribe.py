"""The unsubscribe parts of an email (pure): the hosted link in the body of an email whose template
asks for it, and the URL the List-Unsubscribe header names.

As GOV.UK Notify does (send_to_providers.py): the body gets the hosted link only when the template
has "Add an unsubscribe link"; the header names the send's own ``one_click_unsubscribe_url`` when it
has one, else the hosted link. Links are made here, at send time, from the notification id alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from notify_common.events import EmailRequested
from notify_common.unsubscribe import UnsubscribeLinks, body_with_link, header_url


@dataclass(frozen=True)
class HostedUnsubscribe:
    """Makes the hosted links: ``base_url`` is the public URL of document-download, which serves them."""

    links: UnsubscribeLinks
    base_url: str

    def url(self, notification_id: str) -> str:
        return self.links.url(self.base_url, notification_id)


def unsubscribe_parts(
    request: EmailRequested, notification_id: str, hosted: HostedUnsubscribe | None
) -> tuple[str, str | None]:
    """The plain-text body to send and the List-Unsubscribe URL (None: no header)."""
    link = hosted.url(notification_id) if request.has_unsubscribe_link and hosted is not None else None
    body = body_with_link(request.body, link) if link else request.body
    return body, header_url(request.one_click_unsubscribe_url, link)
