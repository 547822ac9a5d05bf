"""The one layout of document-download's pages (the download pages of files sent by email and the
unsubscribe pages), and the headers every answer carries: never cached, never framed, no Referer
(a page's URL holds its key or token), a strict Content-Security-Policy. A plain form, no script."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Robots-Tag": "noindex, nofollow",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:Arial,sans-serif;font-size:1.1rem;line-height:1.4;max-width:40rem;
margin:2rem auto;padding:0 1rem;color:#0b0c0c}}
.error{{color:#d4351c;font-weight:bold}} input{{font-size:1.1rem;padding:.3rem;width:100%;max-width:25rem}}
button{{font-size:1.1rem;margin-top:1rem;padding:.5rem 1.2rem;color:#fff;background:#00703c;border:0;
box-shadow:0 2px 0 #002d18;cursor:pointer}}
button:focus{{outline:3px solid #fd0;outline-offset:0}}</style></head>
<body><main><h1>{title}</h1>{content}</main></body></html>
"""


def page(
    title: str, content: str, status_code: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """``content`` (HTML, escaped by the caller) under the heading ``title``."""
    return HTMLResponse(
        PAGE.format(title=html.escape(title), content=content),
        status_code=status_code,
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def unavailable() -> HTMLResponse:
    """The answer while a dependency cannot be reached: try again shortly."""
    return page(
        "Sorry, there is a problem with the service",
        "<p>Try again in a few minutes, with the same link.</p>",
        503,
        {"Retry-After": "30"},
    )
