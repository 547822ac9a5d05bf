"""Reading the analytics workers' JSON views (``NOTIFY_ANALYTICS_URL``) for the public
performance page, and shaping them into what the page shows: messages sent per day by channel,
the share sent within 10 seconds per day, and live services.

Every failure (nothing listening, a timeout, an answer that is not the views' JSON) becomes
``AnalyticsUnavailable`` with a sentence for people, so the page can say so and still render.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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

    async def daily(self, days: int) -> dict[str, Any]:
        try:
            response = await self._client.get("/stats/daily", params={"days": days})
            response.raise_for_status()
            found = response.json()
        except httpx.HTTPStatusError as exc:
            raise AnalyticsUnavailable(f"the analytics service answered {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise AnalyticsUnavailable("the analytics service is not answering") from exc
        except ValueError as exc:
            raise AnalyticsUnavailable("the analytics service's answer was not JSON") from exc
        if not isinstance(found, dict) or not isinstance(found.get("days"), list):
            raise AnalyticsUnavailable("the analytics service's answer was not its daily statistics")
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
