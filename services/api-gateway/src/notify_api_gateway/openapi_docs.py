"""What the OpenAPI document (served at /openapi.json, committed as docs/openapi.json) says about bodies
and responses. Request bodies are read and validated by hand (to give Notify's messages), so their
JSON Schemas are attached here from the same ``schemas`` module the validation uses."""

from __future__ import annotations

import copy
from typing import Any

_NOT_OPENAPI = ("$schema", "validationMessage")

ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["status_code", "errors"],
    "properties": {
        "status_code": {"type": "integer"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _clean(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _clean(v) for k, v in schema.items() if k not in _NOT_OPENAPI}
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


def body_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _clean(copy.deepcopy(schema))}},
        }
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_ENVELOPE}}}


UNAVAILABLE_RESPONSE: dict[str, Any] = {
    **_error("ServiceUnavailableError: Kafka, PostgreSQL or Redis did not answer in time"),
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("No token, or not a bearer token"),
    403: _error("The token is not valid for any key of the service"),
    503: UNAVAILABLE_RESPONSE,
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    400: _error("ValidationError or BadRequestError"),
    404: _error("NoResultFound"),
}
SEND_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    400: _error("ValidationError or BadRequestError"),
    409: _error("IdempotencyError: a request with the same Idempotency-Key is in flight"),
    422: _error("IdempotencyError: the Idempotency-Key was used with another body"),
    429: {
        **_error("RateLimitError or TooManyRequestsError"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
}


def query_parameters(schema: dict[str, Any]) -> dict[str, Any]:
    """Documents a query-string schema (read and validated by hand) as OpenAPI parameters."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": _clean(copy.deepcopy(prop)),
                **({"style": "form", "explode": True} if prop.get("type") == "array" else {}),
            }
            for name, prop in schema["properties"].items()
        ]
    }


def document() -> dict[str, Any]:
    """The OpenAPI document, as served at /openapi.json (docs/openapi.json is a copy)."""
    from notify_api_gateway.app import create_app
    from notify_api_gateway.settings import ApiSettings

    return create_app(ApiSettings()).openapi()


if __name__ == "__main__":
    import json
    import sys

    json.dump(document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
