"""Reading Prometheus' HTTP API (``/api/v1/query`` and ``/api/v1/query_range``) for the platform
health page. The console asks server-side with fixed queries; the browser never talks to Prometheus.

Every failure (nothing listening, a timeout, an answer that is not Prometheus' JSON, an error
status) is translated here into ``PrometheusUnavailable`` with a sentence for people, so the page
can say so and still render. Values come back as floats, with ``NaN`` and infinities (a ratio of
no traffic, a quantile of an empty histogram) as ``None``: a gap, which JSON can carry.

The response shapes are those of Prometheus' documentation, *HTTP API*
(https://prometheus.io/docs/prometheus/latest/querying/api/): ``{"status": "success", "data":
{"resultType": "matrix" | "vector" | "scalar", "result": ...}}``, or ``{"status": "error",
"errorType": ..., "error": ...}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx


class PrometheusUnavailable(Exception):
    """Prometheus could not answer a query; ``message`` is fit to show to platform admins."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Series:
    """One labelled series: ``points`` are (unix seconds, value or ``None`` for a gap)."""

    labels: dict[str, str]
    points: tuple[tuple[float, float | None], ...]


def sample_value(raw: object) -> float | None:
    """A sample as Prometheus writes it (a string such as ``"1.5"``, ``"NaN"`` or ``"+Inf"``)."""
    try:
        value = float(str(raw))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class PrometheusClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @property
    def url(self) -> str:
        return str(self.client.base_url).rstrip("/")

    async def query(self, expr: str) -> list[Series]:
        """An instant query at the server's current time: one point per series."""
        return _series(await self._get("/api/v1/query", {"query": expr}))

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        """A range query from ``start`` to ``end`` (unix seconds), a point every ``step`` seconds."""
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return _series(await self._get("/api/v1/query_range", params))

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self.client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise PrometheusUnavailable(f"Prometheus at {self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise PrometheusUnavailable(f"Prometheus at {self.url} is not answering") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "status" not in body:
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} answered HTTP {response.status_code} without Prometheus' JSON"
            )
        if body["status"] != "success" or not isinstance(body.get("data"), dict):
            error = str(body.get("error") or f"HTTP {response.status_code}")[:200]
            raise PrometheusUnavailable(f"Prometheus at {self.url} refused the query: {error}")
        data: dict[str, Any] = body["data"]
        return data


def _series(data: dict[str, Any]) -> list[Series]:
    try:
        return _parse(data.get("resultType"), data.get("result"))
    except (AttributeError, TypeError, ValueError) as exc:
        raise PrometheusUnavailable("Prometheus answered a result this console cannot read") from exc


def _parse(kind: object, result: object) -> list[Series]:
    if kind == "scalar" and isinstance(result, list):
        return [Series({}, (_point(result),))]
    if kind not in ("matrix", "vector") or not isinstance(result, list):
        raise PrometheusUnavailable(f"Prometheus answered a result of type {kind!r}, not a series")
    out = []
    for item in result:
        labels = {str(k): str(v) for k, v in item.get("metric", {}).items()}
        raw = item.get("values", []) if kind == "matrix" else [item.get("value")]
        out.append(Series(labels, tuple(_point(p) for p in raw)))
    return out


def _point(raw: object) -> tuple[float, float | None]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise PrometheusUnavailable("Prometheus answered a sample that is not [time, value]")
    return float(raw[0]), sample_value(raw[1])
