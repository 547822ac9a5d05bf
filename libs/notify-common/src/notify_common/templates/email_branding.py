"""The branded HTML email (pure): the body's HTML inside the service's branding, as the email-sender
sends it and the console previews it, laid out as GOV.UK Notify lays out its emails so they look
the same in email clients: nested tables with
``role="presentation"``, every style inline, a width of at most 580 pixels.

By type (``notify_common.brand_types``): ``govuk`` and ``both`` open with the GOV.UK banner; ``org``
and ``both`` show the organisation's logo, with a bar of its colour on the left when it has one;
``org_banner`` is a band of its colour (near black without one) with the logo and text; ``none``
is the body alone. A logo's alternative text is the branding's name, unless text beside it says
who it is, when the logo is hidden from screen readers instead of read twice.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from notify_common.brand_types import GOVUK, NONE
from notify_common.events import EmailRequested

GOVUK_BLUE = "#1d70b8"
NEAR_BLACK = "#0b0c0c"
WHITE = "#ffffff"
_TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0"'
_CENTRED = f'{_TABLE} align="center" style="border-collapse: collapse; max-width: 580px; width: 100%"'
_FONT = "font-family: Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class EmailBranding:
    brand_type: str = GOVUK
    name: str | None = None
    colour: str | None = None
    text: str | None = None
    logo_url: str | None = None

    @classmethod
    def of(cls, request: EmailRequested, logo_base_url: str) -> EmailBranding:
        """The request's branding; GOV.UK's for a request from before branding was carried."""
        if request.branding_type is None:
            return cls()
        logo = f"{logo_base_url.rstrip('/')}/{request.branding_logo}" if request.branding_logo else None
        return cls(
            brand_type=request.branding_type,
            name=request.branding_name,
            colour=request.branding_colour,
            text=request.branding_text,
            logo_url=logo,
        )


GOVUK_BRANDING = EmailBranding()


def banner_text_colour(background: str) -> str:
    """White or near-black, whichever contrasts more with the banner (WCAG relative luminance)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    ground = luminance(background)
    on_white = (1.05) / (ground + 0.05)
    on_black = (ground + 0.05) / (luminance(NEAR_BLACK) + 0.05)
    return WHITE if on_white >= on_black else NEAR_BLACK


def _govuk_banner() -> str:
    return (
        f'<table {_TABLE} width="100%" style="border-collapse: collapse; width: 100%"><tr>'
        f'<td width="100%" height="60" bgcolor="{GOVUK_BLUE}">'
        f"<table {_CENTRED}><tr>"
        '<td valign="middle" height="60" style="padding-left: 10px">'
        '<a href="https://www.gov.uk" title="Go to the GOV.UK homepage" '
        f'style="text-decoration: none; color: {WHITE}">'
        f'<span aria-label="GOV.UK" style="{_FONT}; font-size: 28px; font-weight: 700; '
        f'color: {WHITE}; line-height: 60px">GOV.UK</span></a>'
        "</td></tr></table></td></tr></table>"
    )


def _logo(branding: EmailBranding, *, extra_style: str = "") -> str:
    if not branding.logo_url:
        return ""
    height = "27" if branding.text else "54"
    alt = "" if branding.text else html.escape(branding.name or "")
    hidden = ' aria-hidden="true"' if branding.text else ""
    return (
        f'<img src="{html.escape(branding.logo_url)}" height="{height}" alt="{alt}"{hidden} border="0" '
        f'style="display: block; border: 0; max-height: {height}px{extra_style}">'
    )


def _org_banner(branding: EmailBranding) -> str:
    colour = branding.colour or NEAR_BLACK
    cells = ""
    if branding.logo_url:
        cells += f'<td valign="middle" style="padding: 10px 0 12px 10px">{_logo(branding)}</td>'
    if branding.text:
        cells += (
            f'<td width="100%" valign="middle" align="left" style="padding: 14px 0 14px 10px; {_FONT}; '
            f'font-size: 19px; font-weight: 700; line-height: 25px; color: {banner_text_colour(colour)}">'
            f"{html.escape(branding.text)}</td>"
        )
    return (
        f'<table {_TABLE} width="100%" style="border-collapse: collapse; width: 100%"><tr>'
        f'<td width="100%" height="53" bgcolor="{colour}" style="background-color: {colour}">'
        f"<table {_CENTRED}><tr>{cells}</tr></table></td></tr></table>"
    )


def _org_logo(branding: EmailBranding) -> str:
    if not branding.logo_url:
        return ""
    bar = (
        f"padding: 0 5px 0 7px; border-left: solid 2px {branding.colour}" if branding.colour else "padding: 0"
    )
    text = (
        f'<td width="100%" valign="middle" style="{_FONT}; font-size: 18px; line-height: 23px; '
        f'color: {NEAR_BLACK}">{html.escape(branding.text)}</td>'
        if branding.text
        else ""
    )
    return (
        f'<table {_CENTRED}><tr><td height="24" colspan="3"></td></tr><tr><td width="10"></td><td>'
        f'<table {_TABLE} style="border-collapse: collapse"><tr>'
        f'<td style="{bar}">{_logo(branding)}</td>{text}</tr></table>'
        '</td><td width="10"></td></tr></table>'
    )


def branded_html(content: str, branding: EmailBranding) -> str:
    """The whole HTML document: the branding's header, then ``content`` (the body's HTML)."""
    kind = branding.brand_type
    header = ""
    if kind in (GOVUK, "both"):
        header += _govuk_banner()
    if kind == "org_banner":
        header += _org_banner(branding)
    elif kind in ("org", "both"):
        header += _org_logo(branding)
    if kind == NONE:
        header = ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"></head>'
        f'<body style="margin: 0; {_FONT}; font-size: 16px; color: {NEAR_BLACK}">\n{header}\n'
        f"<table {_CENTRED}>"
        '<tr><td height="30" colspan="3"></td></tr>'
        f'<tr><td width="10"></td><td style="{_FONT}; font-size: 19px; line-height: 1.315789474; '
        f'max-width: 560px; color: {NEAR_BLACK}">\n{content}\n</td><td width="10"></td></tr>'
        '<tr><td height="30" colspan="3"></td></tr></table>\n</body></html>'
    )
