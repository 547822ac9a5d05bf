"""The provider simulator: plays MMG- and Firetext-style SMS providers for local runs and tests.

It answers sends at once, drops duplicates by reference (as a real provider must for the sender's
exactly-once design to hold), and posts a delivery receipt after a configurable delay. A fault
mode switchable at runtime makes it fail, time out, slow down or throttle. ``/`` lists what it has
"delivered" so someone running the platform locally can watch messages arrive.
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from notify_provider_simulator.outcomes import (
    FIRETEXT_RECEIPT,
    MMG_RECEIPT,
    SimulatedMessage,
    now,
    outcome_for,
)
from notify_provider_simulator.settings import SimulatorSettings

log = logging.getLogger(__name__)
FAULT_MODES = ("none", "errors", "timeouts", "slow", "throttle")


class Simulator:
    def __init__(self, settings: SimulatorSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.messages: dict[str, SimulatedMessage] = {}
        self.fault = "none"
        self._tasks: set[asyncio.Task[None]] = set()

    async def fault_response(self) -> Response | None:
        if self.fault == "errors":
            return JSONResponse({"error": "simulated failure"}, status_code=500)
        if self.fault == "throttle":
            return JSONResponse({"error": "slow down"}, status_code=429)
        if self.fault == "timeouts":
            await asyncio.sleep(self.settings.simulator_timeout_seconds)
        elif self.fault == "slow":
            await asyncio.sleep(self.settings.simulator_slow_seconds)
        return None

    def accept(
        self,
        provider: str,
        reference: str,
        recipient: str,
        content: str,
        sender: str,
        receipt: tuple[str, dict[str, str], bool],
    ) -> SimulatedMessage:
        existing = self.messages.get(reference)
        if existing is not None:
            existing.duplicates += 1
            return existing
        message = SimulatedMessage(
            provider=provider,
            reference=reference,
            recipient=recipient,
            content=content,
            sender=sender,
            outcome=outcome_for(recipient),
            received_at=now(),
        )
        self.messages[reference] = message
        task = asyncio.create_task(self._send_receipt(message, *receipt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return message

    async def _send_receipt(
        self, message: SimulatedMessage, url: str, body: dict[str, str], as_json: bool
    ) -> None:
        low, high = self.settings.simulator_receipt_delay_ms_min, self.settings.simulator_receipt_delay_ms_max
        await asyncio.sleep(random.uniform(low, high) / 1000)
        for attempt in range(5):
            try:
                if as_json:
                    response = await self.client.post(url, json=body)
                else:
                    response = await self.client.post(url, data=body)
                message.receipt_status = response.status_code
                if response.status_code < 500:
                    message.receipt_sent_at = now()
                    return
            except httpx.HTTPError:
                message.receipt_status = None
            await asyncio.sleep(0.5 * 2**attempt)
        log.warning("receipt could not be delivered", extra={"reference": message.reference})

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.client.aclose()


def create_app(settings: SimulatorSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sim = Simulator(settings, httpx.AsyncClient(timeout=10))
        yield
        await app.state.sim.close()

    app = FastAPI(title="Provider simulator", lifespan=lifespan, docs_url=None, redoc_url=None)

    def sim(request: Request) -> Simulator:
        value = request.app.state.sim
        assert isinstance(value, Simulator)
        return value

    @app.post("/mmg")
    async def mmg(request: Request) -> Response:
        s = sim(request)
        fault = await s.fault_response()
        if fault is not None:
            return fault
        try:
            body: dict[str, Any] = await request.json()
            reference, recipient, content = str(body["cid"]), str(body["MSISDN"]), str(body["msg"])
        except (ValueError, KeyError):
            return JSONResponse({"Error": 2, "Description": "Invalid request"}, status_code=400)
        outcome = outcome_for(recipient)
        status, substatus = MMG_RECEIPT[outcome]
        receipt = {
            "status": status,
            "CID": reference,
            "substatus": substatus,
            "deliverytime": now().strftime("%Y-%m-%d %H:%M:%S"),
        }
        delurl = str(body.get("delurl") or f"{settings.receipts_url}/notifications/sms/mmg")
        s.accept("mmg", reference, recipient, content, str(body.get("sender", "")), (delurl, receipt, True))
        return JSONResponse({"Reference": reference})

    @app.post("/firetext")
    async def firetext(request: Request) -> Response:
        s = sim(request)
        fault = await s.fault_response()
        if fault is not None:
            return fault
        form = await request.form()
        reference, recipient, content = (str(form.get(k, "")) for k in ("reference", "to", "message"))
        if not (reference and recipient and content):
            return JSONResponse({"code": 1, "description": "Invalid request"}, status_code=400)
        status, code = FIRETEXT_RECEIPT[outcome_for(recipient)]
        receipt = {
            "status": status,
            "reference": reference,
            "code": code,
            "time": now().strftime("%Y-%m-%d %H:%M:%S"),
        }
        url = str(form.get("receipt") or f"{settings.receipts_url}/notifications/sms/firetext")
        s.accept("firetext", reference, recipient, content, str(form.get("from", "")), (url, receipt, False))
        return JSONResponse({"code": 0, "description": "SMS successfully queued"})

    @app.get("/api/messages")
    async def messages(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "messages": [
                    {
                        "provider": m.provider,
                        "reference": m.reference,
                        "recipient": m.recipient,
                        "content": m.content,
                        "sender": m.sender,
                        "outcome": m.outcome,
                        "received_at": m.received_at.isoformat(),
                        "receipt_sent_at": m.receipt_sent_at.isoformat() if m.receipt_sent_at else None,
                        "duplicates": m.duplicates,
                    }
                    for m in sim(request).messages.values()
                ]
            }
        )

    @app.put("/api/fault")
    async def set_fault(request: Request) -> JSONResponse:
        body = await request.json()
        mode = body.get("mode") if isinstance(body, dict) else None
        if mode not in FAULT_MODES:
            return JSONResponse({"error": f"mode must be one of {', '.join(FAULT_MODES)}"}, status_code=400)
        sim(request).fault = mode
        return JSONResponse({"mode": mode})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    @app.get("/", response_class=HTMLResponse)
    async def page(request: Request) -> HTMLResponse:
        s = sim(request)
        rows = "".join(
            f"<tr><td>{html.escape(m.received_at.strftime('%H:%M:%S'))}</td><td>{m.provider}</td>"
            f"<td>{html.escape(m.recipient)}</td><td>{html.escape(m.content)}</td>"
            f"<td>{m.outcome}</td><td>{'yes' if m.receipt_sent_at else 'not yet'}</td></tr>"
            for m in sorted(s.messages.values(), key=lambda m: m.received_at, reverse=True)[:200]
        )
        return HTMLResponse(
            "<!doctype html><html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=3>"
            "<title>Provider simulator</title><style>body{font-family:sans-serif;margin:2em}"
            "td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
            f"<h1>Provider simulator</h1><p>{len(s.messages)} messages received. Fault mode: {s.fault}.</p>"
            "<table><tr><th>Time</th><th>Provider</th><th>To</th><th>Message</th><th>Outcome</th>"
            f"<th>Receipt sent</th></tr>{rows}</table></body></html>"
        )

    return app
