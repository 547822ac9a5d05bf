"""What an email looks like on the wire, built once for every provider (pure).

The request carries the plain-text body as the API rendered it; the HTML part is derived from that
text: paragraphs, line breaks, "====" underlined headings, "•" bullets, numbered lists, rules and
links, everything else escaped. The MIME message has From with the service's name, Reply-To,
List-Unsubscribe with List-Unsubscribe-Post for one-click unsubscribe (RFC 8058), and a Message-ID
made from the notification id. The HTML is laid out in the service's branding
(``notify_common.templates.email_branding``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr

from notify_common.templates.email_branding import GOVUK_BRANDING, EmailBranding, branded_html

_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")
_UNDERLINE = re.compile(r"^=+$")
_RULE = re.compile(r"^-{3,}$")
_BULLET = re.compile(r"^• ")
_NUMBERED = re.compile(r"^\d+\. ")
# Lines up to RFC 5322's 998 characters: a List-Unsubscribe URL longer than the default 78 would
# otherwise be folded into an RFC 2047 encoded word, which mail clients do not read as a URL.
_POLICY = policy.default.clone(max_line_length=998)
_SMTP_POLICY = _POLICY.clone(linesep="\r\n")


@dataclass(frozen=True)
class OutgoingEmail:
    notification_id: str
    to: str
    from_name: str
    from_address: str  # local@domain
    subject: str
    text_body: str
    reply_to: str | None = None
    unsubscribe_url: str | None = None
    branding: EmailBranding = GOVUK_BRANDING

    @property
    def from_header(self) -> str:
        return formataddr((self.from_name, self.from_address))

    @property
    def message_id(self) -> str:
        return f"<{self.notification_id}@{self.from_address.rpartition('@')[2]}>"


def _inline(text: str) -> str:
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = html.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _block(lines: list[str]) -> str:
    if len(lines) == 2 and _UNDERLINE.match(lines[1]):
        return f"<h2>{_inline(lines[0])}</h2>"
    if len(lines) == 1 and _RULE.match(lines[0]):
        return "<hr>"
    if all(_BULLET.match(line) for line in lines):
        return "<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>"
    if all(_NUMBERED.match(line) for line in lines):
        items = "".join(f"<li>{_inline(line.split('. ', 1)[1])}</li>" for line in lines)
        return f"<ol>{items}</ol>"
    return "<p>" + "<br>".join(_inline(line) for line in lines) + "</p>"


def html_body(text: str, branding: EmailBranding = GOVUK_BRANDING) -> str:
    blocks = [b.split("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    content = "\n".join(_block([line.rstrip() for line in b]) for b in blocks)
    return branded_html(content, branding)


def mime_message(email: OutgoingEmail) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["From"] = email.from_header
    message["To"] = Address(addr_spec=email.to)
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    if email.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.text_body)
    message.add_alternative(html_body(email.text_body, email.branding), subtype="html")
    return message


def smtp_bytes(message: EmailMessage) -> bytes:
    """The message as sent over SMTP (CRLF line ends), headers folded only past 998 characters."""
    return message.as_bytes(policy=_SMTP_POLICY)
