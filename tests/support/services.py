"""A service's configuration as the unit tests and benchmarks of sending build it."""

from __future__ import annotations

from typing import Any

from notify_common.service_config import Service


def council(service_id: str, **fields: Any) -> Service:
    """A live, unrestricted service allowed texts and emails, with the default rate limit;
    ``fields`` replace any of its fields."""
    defaults: dict[str, Any] = {
        "id": service_id,
        "name": "Council",
        "active": True,
        "restricted": False,
        "email_from": "council",
        "prefix_sms": True,
        "sms_sender": "GOVUK",
        "permissions": ("sms", "email"),
        "rate_limit": 3000,
    }
    return Service(**{**defaults, **fields})
