"""Polling a notification's status through GOV.UK Notify's official client, for end-to-end tests."""

from __future__ import annotations

import time
from typing import Any

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient


def wait_for_status(
    client: NotificationsAPIClient, notification_id: str, wanted: str, timeout: float = 30.0
) -> dict[str, Any]:
    """The notification once its status is ``wanted``; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            last = client.get_notification_by_id(notification_id)
            if last["status"] == wanted:
                return last
        except HTTPError as exc:
            if exc.status_code != 404:  # not projected yet is fine; anything else is not
                raise
        time.sleep(0.2)
    raise AssertionError(f"status never became {wanted}; last seen {last.get('status')}")
