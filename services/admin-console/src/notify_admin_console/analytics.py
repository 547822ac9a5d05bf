"""Reading the analytics workers' JSON views (``NOTIFY_ANALYTICS_URL``) for the public
performance page, and shaping them into what the page shows: messages sent per day by channel,
the share sent within 10 seconds per day, and live services; and a service's live counts per
channel for its dashboard.

Every failure (nothing listening, a timeout, an answer that is not the views' JSON) becomes
``AnalyticsUnavailable`` with a sentence for people, so the page can say so and still render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

DAYS = 7
CHANNELS = (("email", "Emails"), ("sms", "Text messages"), ("letter", "Letters"))


class AnalyticsUnavailable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AnalyticsClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    @property
    def url(self) -> str:
        return str(self._client.base_url)

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = await self._client.get(path, params=params)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPStatusError as exc:
            raise AnalyticsUnavailable(f"the analytics service answered {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise AnalyticsUnavailable("the analytics service is not answering") from exc
        except ValueError as exc:
            raise AnalyticsUnavailable("the analytics service's answer was not JSON") from exc

    async def daily(self, days: int) -> dict[str, Any]:
        found = await self._get("/stats/daily", {"days": days})
        if not isinstance(found, dict) or not isinstance(found.get("days"), list):
            raise AnalyticsUnavailable("the analytics service's answer was not its daily statistics")
        return found

    async def service_days(self, service_id: str, days: int) -> dict[str, Any]:
        """One service's last ``days`` UTC days (today included), by channel."""
        found = await self._get(f"/stats/services/{quote(service_id, safe='')}/daily", {"days": days})
        if not isinstance(found, dict) or not isinstance(found.get("channels"), dict):
            raise AnalyticsUnavailable("the analytics service's answer was not the service's statistics")
        return found

    async def aclose(self) -> None:
        await self._client.aclose()


def _day_label(iso_date: str) -> str:
    return date.fromisoformat(iso_date).strftime("%A %-d %B %Y")


def _share(value: Any) -> str:
    return "No messages" if value is None else f"{float(value) * 100:.2f}%"


async def report(client: AnalyticsClient, days: int = DAYS) -> dict[str, Any]:
    """The performance page's content; ``available`` is false (with ``message``) when the
    analytics service could not answer."""
    try:
        found = await client.daily(days)
    except AnalyticsUnavailable as exc:
        return {"available": False, "message": exc.message, "days": [], "totals": {}, "live_services": 0}
    rows = []
    for day in found["days"]:
        channels = day.get("channels", {})
        total = day.get("total", {})
        rows.append(
            {
                "date": day["date"],
                "label": _day_label(day["date"]),
                "sent": {key: int(channels.get(key, {}).get("requested", 0)) for key, _ in CHANNELS},
                "share_within_10_seconds": total.get("share_sent_within_10_seconds"),
                "share_text": _share(total.get("share_sent_within_10_seconds")),
                "services": int(day.get("services", 0)),
            }
        )
    totals = {key: sum(r["sent"][key] for r in rows) for key, _ in CHANNELS}
    return {
        "available": True,
        "message": "",
        "days": rows,
        "totals": totals,
        "live_services": max((r["services"] for r in rows), default=0),
        "channels": [{"key": k, "name": n} for k, n in CHANNELS],
    }


@dataclass(frozen=True)
class LiveCounts:
    """A service's counts per channel from analytics (``channels``, in the dashboard's shape:
    requested, delivered, failed, failed_percentage), or why there are none (``message``)."""

    available: bool
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    message: str = ""


def _count(summary: dict[str, Any], name: str) -> int:
    value = summary.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise AnalyticsUnavailable("the analytics service's answer was not the service's statistics")
    return value


async def live_counts(client: AnalyticsClient, service_id: str, days: int) -> LiveCounts:
    """Messages requested, delivered and failed per channel over the service's last ``days`` UTC
    days, as analytics counts them from the event log."""
    try:
        found = await client.service_days(service_id, days)
        channels: dict[str, dict[str, Any]] = {}
        for key, _ in CHANNELS:
            summary = found["channels"].get(key) or {}
            if not isinstance(summary, dict):
                raise AnalyticsUnavailable("the analytics service's answer was not the service's statistics")
            requested, failed = _count(summary, "requested"), _count(summary, "failed")
            channels[key] = {
                "requested": requested,
                "delivered": _count(summary, "delivered"),
                "failed": failed,
                "failed_percentage": round(100 * failed / requested, 1) if requested else 0.0,
            }
    except AnalyticsUnavailable as exc:
        return LiveCounts(False, message=exc.message)
    return LiveCounts(True, channels)
