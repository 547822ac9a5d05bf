"""The provider simulator: plays MMG- and Firetext-style SMS providers for local runs and tests.

It answers sends at once and posts a delivery receipt after a configurable delay. A message handed
over again with a reference it already has is delivered again, as MMG, Firetext and SNS do (the
phone gets it twice), and counted as a duplicate hand-over in ``/api/stats``. ``POST
/<provider>/status`` says which references that provider has seen, so a sender that lost track of a
call can ask before it sends again. A fault
mode switchable at runtime makes it fail, time out, slow down or throttle. ``/`` lists what it has
"delivered" so someone running the platform locally can watch messages arrive.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, unquote_to_bytes

import boto3
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from notify_common.http import read_body
from notify_common.urls import with_token
from notify_provider_simulator.outcomes import (
    FIRETEXT_RECEIPT,
    MMG_RECEIPT,
    SimulatedMessage,
    now,
    outcome_for,
)
from notify_provider_simulator.printer import Printer
from notify_provider_simulator.receipt_posting import ReceiptPoster
from notify_provider_simulator.settings import SimulatorSettings
from notify_provider_simulator.state import OwedReceipt, SimulatorState, load, save

log = logging.getLogger(__name__)
FAULT_MODES = ("none", "errors", "timeouts", "slow", "throttle")


class Simulator:
    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        self.messages: dict[str, SimulatedMessage] = {}
        # Fault mode per provider ("mmg", "firetext"); "*" applies to every provider without its own.
        self.faults: dict[str, str] = {"*": "none"}
        self.send_attempts = 0
        # Kept as messages arrive, so /api/stats stays cheap however many there are.
        self.by_provider: dict[str, int] = {}
        self.handovers = 0
        self.duplicates_by_provider: dict[str, int] = {}
        self.receipts = ReceiptPoster(settings)
        # Where each provider posts a receipt for a send that names no receipt URL.
        self.receipt_urls = {
            "mmg": with_token(f"{settings.receipts_url}/notifications/sms/mmg", settings.mmg_receipt_token),
            "firetext": with_token(
                f"{settings.receipts_url}/notifications/sms/firetext", settings.firetext_receipt_token
            ),
        }

    def forget(self) -> None:
        self.messages.clear()
        self.by_provider.clear()
        self.handovers = 0
        self.duplicates_by_provider.clear()
        self.send_attempts = 0
        self.receipts.forget_counts()

    @property
    def fault(self) -> str:
        return self.faults["*"]

    def fault_for(self, provider: str) -> str:
        return self.faults.get(provider, self.faults["*"])

    async def fault_response(self, provider: str) -> Response | None:
        self.send_attempts += 1
        fault = self.fault_for(provider)
        if fault == "errors":
            return JSONResponse({"error": "simulated failure"}, status_code=500)
        if fault == "throttle":
            return JSONResponse({"error": "slow down"}, status_code=429)
        if fault == "timeouts":
            await asyncio.sleep(self.settings.simulator_timeout_seconds)
        elif fault == "slow":
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
        self.handovers += 1
        existing = self.messages.get(reference)
        if existing is not None:
            # A real provider does not drop a repeat by reference: the phone gets it again (and
            # so does the receipts endpoint).
            existing.duplicates += 1
            self.duplicates_by_provider[provider] = self.duplicates_by_provider.get(provider, 0) + 1
            self._receipt(existing, receipt)
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
        self.by_provider[provider] = self.by_provider.get(provider, 0) + 1
        self._receipt(message, receipt)
        return message

    @property
    def duplicate_handovers(self) -> int:
        return sum(self.duplicates_by_provider.values())

    def seen(self, provider: str, references: list[str]) -> list[str]:
        """Which of ``references`` this provider has been handed (its status lookup)."""
        found = (self.messages.get(r) for r in references)
        return [m.reference for m in found if m is not None and m.provider == provider]

    def _receipt(
        self, message: SimulatedMessage, receipt: tuple[str, dict[str, str], bool], delay: bool = True
    ) -> None:
        if not self.settings.simulator_send_receipts:
            return
        low, high = self.settings.simulator_receipt_delay_ms_min, self.settings.simulator_receipt_delay_ms_max
        seconds = random.uniform(low, high) / 1000 if delay else 0.0
        self.receipts.owe(message, OwedReceipt(message.reference, *receipt), seconds)

    _COUNTERS = ("by_provider", "handovers", "duplicates_by_provider", "send_attempts")
    # The receipt poster's counters, under the names /api/stats and the state file give them.
    _RECEIPT_COUNTERS = (
        ("receipts_posted", "posted"),
        ("receipts_dropped", "dropped"),
        ("receipts_retried", "retried"),
    )

    def restore(self) -> None:
        """Takes back what the last run left in the state file (when there is one) and posts the
        receipts it still owed. Call from the running event loop."""
        if not self.settings.simulator_state_file:
            return
        state = load(Path(self.settings.simulator_state_file))
        if state is None:
            return
        self.messages = state.messages
        for name in self._COUNTERS:
            if name in state.counters:
                setattr(self, name, state.counters[name])
        for name, attribute in self._RECEIPT_COUNTERS:
            if name in state.counters:
                setattr(self.receipts, attribute, state.counters[name])
        for owed in state.owed:
            if owed.reference in self.messages:
                receipt = (owed.url, owed.body, owed.as_json)
                self._receipt(self.messages[owed.reference], receipt, delay=False)
        log.info("state restored", extra={"messages": len(self.messages), "receipts_owed": len(state.owed)})

    def counters(self) -> dict[str, Any]:
        counters = {name: getattr(self, name) for name in self._COUNTERS}
        for name, attribute in self._RECEIPT_COUNTERS:
            counters[name] = getattr(self.receipts, attribute)
        return counters

    async def close(self) -> None:
        await self.receipts.close()
        if self.settings.simulator_state_file:
            owed = self.receipts.still_owed()
            state = SimulatorState(self.messages, self.counters(), owed)
            save(Path(self.settings.simulator_state_file), state)


JSON_HEADERS = [(b"content-type", b"application/json")]
FIRETEXT_QUEUED = b'{"code":0,"description":"SMS successfully queued"}'
# A send's answer: status and JSON body, encoded once where it never changes.
Answer = tuple[int, bytes]


_time_text: tuple[int, str] = (-1, "")


def _receipt_time() -> str:
    """The time now as receipts give it (``YYYY-MM-DD HH:MM:SS``, UTC), formatted once a second."""
    global _time_text
    second = int(time.time())
    if _time_text[0] != second:
        _time_text = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S"))
    return _time_text[1]


_PLAIN = (str, bool, type(None))


def _json(raw: bytes) -> Any:
    """``raw`` as Python's json reads it. orjson reads the sender's bodies (an object of strings
    and a boolean) in a fraction of the time, and reads such an object as Python's json does. Any
    other body is read again by Python's json: orjson refuses some that it takes (NaN, UTF-16,
    lone surrogates) and reads an integer beyond 64 bits as a float, which it keeps whole."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)
    if isinstance(body, dict) and all(isinstance(v, _PLAIN) for v in body.values()):
        return body
    return json.loads(raw)


def take_mmg(s: Simulator, raw: bytes) -> Answer:
    """An MMG-style JSON send: accepted (or a duplicate dropped), or refused with 400."""
    try:
        body = _json(raw)
        reference, recipient, content = str(body["cid"]), str(body["MSISDN"]), str(body["msg"])
    except (ValueError, KeyError, TypeError):
        return 400, b'{"Error":2,"Description":"Invalid request"}'
    status, substatus = MMG_RECEIPT[outcome_for(recipient)]
    receipt = {
        "status": status,
        "CID": reference,
        "substatus": substatus,
        "deliverytime": _receipt_time(),
    }
    delurl = str(body.get("delurl") or s.receipt_urls["mmg"])
    s.accept("mmg", reference, recipient, content, str(body.get("sender", "")), (delurl, receipt, True))
    return 200, b'{"Reference":%s}' % encode_basestring_ascii(reference).encode()


def _unquoted(text: str) -> str:
    """``unquote_plus(text)``, sparing its per-call work where it changes nothing or where the
    text is all ASCII (every body the sender writes): then unquote is exactly this."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii():
        return unquote_to_bytes(text).decode("utf-8", "replace")
    return unquote_plus(text)


def form_fields(raw: bytes) -> dict[str, str]:
    """A urlencoded body's fields, the last of each name, as
    ``dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))`` reads them in
    about half its time (parse_qsl's general machinery was half of taking a Firetext send)."""
    fields: dict[str, str] = {}
    for field in raw.decode("utf-8", "replace").split("&"):
        if field:
            name, _, value = field.partition("=")
            fields[_unquoted(name)] = _unquoted(value)
    return fields


def take_firetext(s: Simulator, raw: bytes) -> Answer:
    """A Firetext-style form send (parsed by hand: a urlencoded body needs no multipart library)."""
    form = form_fields(raw)
    reference, recipient, content = form.get("reference", ""), form.get("to", ""), form.get("message", "")
    if not (reference and recipient and content):
        return 400, b'{"code":1,"description":"Invalid request"}'
    status, code = FIRETEXT_RECEIPT[outcome_for(recipient)]
    receipt = {
        "status": status,
        "reference": reference,
        "code": code,
        "time": _receipt_time(),
    }
    url = form.get("receipt") or s.receipt_urls["firetext"]
    s.accept("firetext", reference, recipient, content, form.get("from", ""), (url, receipt, False))
    return 200, FIRETEXT_QUEUED


SENDS = {"/mmg": ("mmg", take_mmg), "/firetext": ("firetext", take_firetext)}


class SendFastPath:
    """Serves ``POST /mmg`` and ``POST /firetext`` straight from ASGI, without the framework's
    routing, request and response objects, which cost more than the rest of a send (the sender's
    benchmark hands thousands a second to this process). With a fault mode set for the provider, or
    for anything else, the request goes to the FastAPI app."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        route = SENDS.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        simulator: Simulator | None = getattr(self.state, "sim", None)
        if route is None or simulator is None or simulator.fault_for(route[0]) != "none":
            await self.app(scope, receive, send)
            return
        simulator.send_attempts += 1
        body = await read_body(receive)
        if body is None:
            return  # the client went away
        status, payload = route[1](simulator, body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*JSON_HEADERS, (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def create_app(settings: SimulatorSettings) -> SendFastPath:
    """The simulator's ASGI app: the FastAPI app behind the fast path for sends."""
    return SendFastPath(create_fastapi_app(settings))


def create_fastapi_app(settings: SimulatorSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sim = Simulator(settings)
        app.state.sim.restore()
        app.state.printer = None
        task: asyncio.Task[None] | None = None
        if settings.simulator_printer:
            s3 = boto3.client("s3", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
            app.state.printer = Printer(
                s3, settings.letters_print_bucket, settings.simulator_print_poll_seconds
            )
            task = asyncio.create_task(app.state.printer.run())
        yield
        if task is not None:
            task.cancel()
        await app.state.sim.close()

    app = FastAPI(title="Provider simulator", lifespan=lifespan, docs_url=None, redoc_url=None)

    def sim(request: Request) -> Simulator:
        value = request.app.state.sim
        assert isinstance(value, Simulator)
        return value

    @app.post("/mmg")
    async def mmg(request: Request) -> Response:
        s = sim(request)
        fault = await s.fault_response("mmg")
        if fault is not None:
            return fault
        status, answer = take_mmg(s, await request.body())
        return Response(answer, status_code=status, media_type="application/json")

    @app.post("/firetext")
    async def firetext(request: Request) -> Response:
        s = sim(request)
        fault = await s.fault_response("firetext")
        if fault is not None:
            return fault
        status, answer = take_firetext(s, await request.body())
        return Response(answer, status_code=status, media_type="application/json")

    @app.post("/mmg/status")
    @app.post("/firetext/status")
    async def status(request: Request) -> JSONResponse:
        """``{"references": [...]}`` → ``{"seen": [...]}``: the references this provider has taken,
        as a provider's message-status interface answers by the reference it was given."""
        provider = request.url.path.split("/")[1]
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        references = body.get("references") if isinstance(body, dict) else None
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            return JSONResponse({"error": "references must be a list of strings"}, status_code=400)
        return JSONResponse({"seen": sim(request).seen(provider, references)})

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

    @app.get("/api/letters")
    async def letters(request: Request) -> JSONResponse:
        printer: Printer | None = request.app.state.printer
        printed = printer.printed.values() if printer is not None else []
        return JSONResponse(
            {
                "letters": [
                    {
                        "notification_id": p.notification_id,
                        "postage": p.postage,
                        "pages": p.pages,
                        "printed_at": p.printed_at.isoformat(),
                    }
                    for p in printed
                ]
            }
        )

    @app.get("/api/stats")
    async def stats(request: Request) -> JSONResponse:
        s = sim(request)
        return JSONResponse(
            {
                "messages": len(s.messages),
                "handovers": s.handovers,
                "duplicate_handovers": s.duplicate_handovers,
                "duplicate_handovers_by_provider": s.duplicates_by_provider,
                "send_attempts": s.send_attempts,
                "receipts_posted": s.receipts.posted,
                "receipts_dropped": s.receipts.dropped,
                "receipts_retried": s.receipts.retried,
                "receipts_in_flight": s.receipts.owed,
                "by_provider": s.by_provider,
                "faults": s.faults,
            }
        )

    @app.delete("/api/messages")
    async def forget(request: Request) -> JSONResponse:
        s = sim(request)
        s.forget()
        return JSONResponse({"messages": 0})

    @app.put("/api/fault")
    async def set_fault(request: Request) -> JSONResponse:
        """Body ``{"mode": "errors"}`` for every provider, or with ``"provider": "mmg"`` for one."""
        body = await request.json()
        mode = body.get("mode") if isinstance(body, dict) else None
        provider = body.get("provider") if isinstance(body, dict) else None
        if mode not in FAULT_MODES:
            return JSONResponse({"error": f"mode must be one of {', '.join(FAULT_MODES)}"}, status_code=400)
        if provider not in (None, "mmg", "firetext"):
            return JSONResponse({"error": "provider must be mmg or firetext"}, status_code=400)
        faults = sim(request).faults
        if provider is None:
            faults.clear()
        faults[provider or "*"] = mode
        return JSONResponse({"mode": mode, "provider": provider})

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
            # The newest 200 without sorting them all: messages are kept in the order they came.
            for m in itertools.islice(reversed(s.messages.values()), 200)
        )
        printer: Printer | None = request.app.state.printer
        printed = (
            sorted(printer.printed.values(), key=lambda p: p.printed_at, reverse=True) if printer else []
        )
        letters = (
            f"<h2>Letters printed</h2><p>{len(printed)} letters.</p><table><tr><th>Time</th>"
            "<th>Notification</th><th>Postage</th><th>Pages</th></tr>"
            + "".join(
                f"<tr><td>{p.printed_at.strftime('%H:%M:%S')}</td><td>{html.escape(p.notification_id)}</td>"
                f"<td>{html.escape(p.postage)}</td><td>{p.pages}</td></tr>"
                for p in printed[:200]
            )
            + "</table>"
        )
        return HTMLResponse(
            "<!doctype html><html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=3>"
            "<title>Provider simulator</title><style>body{font-family:sans-serif;margin:2em}"
            "td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
            f"<h1>Provider simulator</h1><p>{len(s.messages)} messages received. "
            f"Fault mode: {html.escape(', '.join(f'{k}={v}' for k, v in s.faults.items()))}.</p>"
            "<table><tr><th>Time</th><th>Provider</th><th>To</th><th>Message</th><th>Outcome</th>"
            f"<th>Receipt sent</th></tr>{rows}</table>{letters}</body></html>"
        )

    return app
