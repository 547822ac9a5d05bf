"""Small URL helpers shared by services."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import SecretStr


def with_token(url: str, token: SecretStr | None) -> str:
    """``url`` carrying ``token`` as its ``token`` query parameter (unless it carries one already),
    the way a provider is given a receipt URL with the credential in it."""
    if token is None or not token.get_secret_value():
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "token" for name, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, ("token", token.get_secret_value())])))
