"""The receipts service: turns what providers post (delivery receipts, SES events through SNS,
print-job statuses, inbound text messages) into lifecycle events on Kafka; and, when SNS sends text
messages, polls SNS's delivery-status logs for their receipts (``sns_sms_poller.py``).

Endpoints answer 2xx only after the event is acknowledged by Kafka, so a provider retries anything
we could not record. SMS and letter receipts carry our notification id as their reference; SES
events carry SES's MessageId. Both are resolved through this service's own record of the
notifications providers were given (``sent.py``, learnt from the send events, the most recent of
them also held in memory, ``recent.py``, the table read for the others in queries that concurrent
receipts share, ``gathered.py``; waiting briefly for a send event a receipt overtook; see
docs/lifecycle.md), and published with the notification's service and details, together with the
other receipts of the same few milliseconds (``publishing.py``). The provider routes are served
straight from ASGI, without FastAPI's routing, request and response objects (``fastpath.py``).

An SMS or letter receipt, or an inbound text, is checked against the database within a short bound
(the provider was given the notification; a service owns the number). When the database cannot
answer in time, it is taken unchecked instead (``unchecked.py``): written to Kafka, answered at
once, and checked later by this service's own consumer. So is a receipt that overtook its send
event, once the sender's claim shows the provider was given the notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import Counter

from notify_common import metrics, topics, tracing
from notify_common.db import create_engine
from notify_common.errors import DependencyUnavailableError, RetryableError
from notify_common.events import Event, NotificationSentToProvider, now
from notify_common.kafka import BatchConsumer, EventProducer, RetryPolicy
from notify_common.outbound import parse_networks
from notify_receipts import domain, sns_sms_poller, unchecked
from notify_receipts.auth import basic_ok, source_ok, token_ok
from notify_receipts.codes import firetext_outcome, mmg_outcome, print_outcome
from notify_receipts.domain import Known
from notify_receipts.fastpath import Answer, Handler, Posted, ProviderRoutes, routed
from notify_receipts.gathered import GatheredLookups
from notify_receipts.lookups import Lookups
from notify_receipts.publishing import WindowedPublisher
from notify_receipts.recent import RecentSends, learnt_within
from notify_receipts.settings import ReceiptsSettings
from notify_receipts.sns import CertificateSource, HttpCertificateSource, InvalidSnsMessage, SnsVerifier

log = logging.getLogger(__name__)
# The print provider's name in send events (the letter-sender's).
PRINT_PROVIDER = "dvla"
# A receipt that overtook its send event waits for it through the retry topic: about 8 minutes.
OVERTAKEN_RECEIPTS = RetryPolicy(max_attempts=12, base_delay_s=1.0, max_delay_s=60.0)
# Of the wait for an overtaken receipt's send event (``receipts_sent_wait_seconds``), how long it
# waits for this process to learn it before the sender's claim is looked up.
FIRST_WAIT_SECONDS = 0.25
# The consumer asks the broker for fuller fetches (64 KiB, or what it holds after 50 ms) rather than
# one fetch per record landed: far fewer fetches, batches, table writes and offset commits per send
# event, for at most 50 ms more before a send event is learnt, well within a receipt's first wait.
FETCH_MIN_BYTES, FETCH_MAX_WAIT_MS = 64 * 1024, 50
# Those fetches come back up to twenty times a second under load; their offsets are committed once a
# second instead of after each (a commit is a request the broker writes to its log too). A clean stop
# commits everything handled; what a crash leaves uncommitted is read again, as records handled but
# not yet committed always were: a send learnt twice changes nothing, a receipt handled twice
# publishes its status again (statuses only move forward, callbacks are at least once).
COMMIT_INTERVAL_MS = 1000
UNRESOLVED = Counter("notify_receipts_unresolved_total", "SES receipts given up on: send event never seen")
OVERTOOK = Counter(
    "notify_receipts_overtaken_total",
    "SMS and letter receipts that overtook their send event and waited for it (if it was not learnt"
    " within the wait, they were taken onto the unchecked topic: notify_receipts_unchecked_total)",
)


# The form every reference the platform gives a provider has (``str(uuid)``): taken without
# building a ``UUID``; anything else is asked of ``uuid.UUID``, which also takes other spellings.
_CANONICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _valid_id(value: str) -> bool:
    if _CANONICAL_ID.fullmatch(value) is not None:
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _form(request: Posted) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (what Firetext posts), last value per name."""
    return {k: v for k, v in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)}


# orjson reads an integer of 19 digits or more that does not fit 64 bits as a float.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def _loads(body: bytes) -> Any:
    """``json.loads(body)``: orjson parses what providers post in a thirtieth of the time; what it
    refuses or reads otherwise (another encoding than UTF-8, NaN, integers past 64 bits, lone
    surrogates) the standard library parses, or not, as before, so every answer stays as it was."""
    if _LONG_NUMBER.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def _json(content: Any) -> bytes:
    """``content`` as ``JSONResponse`` renders it."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@cache  # the messages are a few constants
def _error(message: str, status: int = 400) -> Answer:
    return status, _json({"result": "error", "message": message})


def _error_response(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"result": "error", "message": message}, status)


SUCCESS: Answer = 200, _json({"result": "success"})
INBOUND_OK: Answer = 200, _json({"status": "ok"})


def served_app(
    settings: ReceiptsSettings, *, certificates: CertificateSource | None = None
) -> ProviderRoutes:
    """What the server runs: the app behind ``ProviderRoutes`` (the receipt routes without the
    framework's routing cost); its lifespan is the FastAPI app's (``.app``)."""
    return ProviderRoutes(create_app(settings, certificates=certificates))


def create_app(settings: ReceiptsSettings, *, certificates: CertificateSource | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # No linger: the receipts of a few milliseconds are handed over together (``publishing.py``).
        producer = EventProducer(settings, client_id="receipts", linger_ms=0)
        polling = settings.sns_receipts_active()
        # Checks in a request wait at most the bound; the consumer's checks may wait longer.
        engine = create_engine(
            settings, pool_size=4, timeout=settings.receipts_check_wait_seconds, custom_plans=True
        )
        consumer_wait = settings.receipts_consumer_wait_seconds
        # Without a ping per statement: a connection PostgreSQL dropped fails its batch's statement,
        # and the consumer handles the batch again later on a new one.
        consumer_engine = create_engine(
            settings, pool_size=2, timeout=consumer_wait, pre_ping=False, custom_plans=True
        )
        # The poller holds one connection.
        poller_engine = create_engine(settings, pool_size=2, custom_plans=True) if polling else None
        client = httpx.AsyncClient()
        await producer.start()
        app.state.producer = producer
        app.state.publisher = WindowedPublisher(producer)
        app.state.lookups = lookups = Lookups(engine)
        app.state.gathered = gathered = GatheredLookups(lookups.known)
        app.state.recent = recent = RecentSends(settings.receipts_recent_sends)
        handler = unchecked.UncheckedHandler(
            consumer_engine, Lookups(consumer_engine), producer, recent=recent
        )
        consumer = BatchConsumer(
            settings,
            group=topics.GROUP_RECEIPTS,
            topics=topics.topics_read_by(topics.GROUP_RECEIPTS),
            handler=handler.handle,
            producer=producer,
            max_records=200,
            retry=OVERTAKEN_RECEIPTS,
            fetch_min_bytes=FETCH_MIN_BYTES,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            commit_interval_ms=COMMIT_INTERVAL_MS,
            # Of the status topic, only the send events: the others are not even decoded.
            only={topics.NOTIFICATION_STATUS: [NotificationSentToProvider]},
        )
        await consumer.start()
        consuming = asyncio.create_task(consumer.run())
        app.state.client = client
        app.state.sns = SnsVerifier(
            certificates or HttpCertificateSource(client), settings.sns_trusted_url_pattern
        )
        poller = (
            asyncio.create_task(
                sns_sms_poller.run_from_settings(settings, poller_engine, Lookups(poller_engine), producer)
            )
            if poller_engine is not None
            else None
        )
        yield
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        consumer.request_stop()
        await consuming
        await gathered.close()
        await producer.stop()
        await client.aclose()
        for each in (engine, consumer_engine, poller_engine):
            if each is not None:
                await each.dispose()

    app = FastAPI(title="Receipts", lifespan=lifespan, docs_url=None, redoc_url=None)
    allowed_sources = parse_networks(settings.receipts_allowed_networks)

    @app.exception_handler(RetryableError)
    async def unavailable(request: Request, exc: RetryableError) -> JSONResponse:
        """A dependency is down: the provider is asked to try again later; nothing was recorded."""
        log.warning("receipt not recorded: dependency unavailable", extra={"error": str(exc)})
        return JSONResponse(
            {"result": "error", "message": "temporarily unavailable"}, 503, headers={"Retry-After": "5"}
        )

    for provider, configured in (
        ("mmg receipts", settings.mmg_receipt_token),
        ("firetext receipts", settings.firetext_receipt_token),
        ("mmg inbound texts", settings.mmg_inbound_password),
        ("firetext inbound texts", settings.firetext_inbound_password),
        ("print provider callbacks", settings.letter_callback_token),
    ):
        if configured is None:
            log.warning("no credentials configured: every request refused", extra={"endpoint": provider})

    def refused(request: Posted, authenticated: bool) -> Answer | None:
        """The answer to a provider request that may not be taken, or None."""
        if not source_ok(request, allowed_sources):
            return _error("source address not allowed", 403)
        if not authenticated:
            return _error("unauthorised", 401)
        return None

    async def taken(provider: str, events: list[Event]) -> bool:
        """Records the receipts ``events`` if every one is for a notification this provider was
        given, and returns True; returns False (recording nothing) if one is not. Receipts whose
        send event this service has learnt are published with their notification's service and
        details; receipts that overtook it (the sender's claim shows the provider was given the
        notification) are taken unchecked, as are all when the database cannot tell in time."""
        lookups: Lookups = app.state.lookups
        publisher: WindowedPublisher = app.state.publisher
        recent: RecentSends = app.state.recent
        gathered: GatheredLookups = app.state.gathered

        async def known_through(notification_ids: list[str]) -> dict[str, Known]:
            found = await gathered.known(notification_ids)
            return {nid: k for nid, k in found.items() if k.provider == provider}

        ids = [str(e.notification_id) for e in events]
        known = recent.known(ids, provider)
        try:
            if len(known) < len(set(ids)):
                known |= await known_through([nid for nid in ids if nid not in known])
            overtaken = [nid for nid in ids if nid not in known]
            waited = 0.0
            if overtaken:
                # A receipt that overtook its send event is nearly always for one this process's
                # consumer is about to learn: waiting a moment for it spares the query of the
                # claims (a forged receipt is refused that much later).
                waited = min(FIRST_WAIT_SECONDS, settings.receipts_sent_wait_seconds)
                learnt = await recent.wait(overtaken, provider, waited)
                OVERTOOK.inc(len(learnt))
                known |= learnt
                overtaken = [nid for nid in ids if nid not in known]
            claimed = not overtaken or await lookups.claimed_by(overtaken, provider)
            if overtaken and claimed:
                OVERTOOK.inc(len(set(overtaken)))
                known |= await learnt_within(
                    recent, overtaken, provider, settings.receipts_sent_wait_seconds - waited, known_through
                )
        except DependencyUnavailableError:
            await publisher.publish_many((topics.RECEIPTS_UNCHECKED, e) for e in events)
            unchecked.TAKEN.labels(kind=unchecked.RECEIPT).inc(len(events))
            metrics.receipts(events)
            log.warning(
                "database unavailable: receipts taken to be checked later",
                extra={"provider": provider, "records": len(events)},
            )
            return True
        if not claimed:
            return False
        ready = [
            domain.enriched(e, known[str(e.notification_id)]) for e in events if e.notification_id in known
        ]
        waiting = [e for e in events if e.notification_id not in known]
        if len(waiting) == 1:
            await publish_traced(topics.RECEIPTS_UNCHECKED, waiting[0])
        elif waiting:
            await publisher.publish_many((topics.RECEIPTS_UNCHECKED, e) for e in waiting)
        if waiting:
            unchecked.TAKEN.labels(kind=unchecked.OVERTAKEN).inc(len(waiting))
        if len(ready) == 1:
            await publish_traced(topics.NOTIFICATION_STATUS, ready[0])
        elif ready:
            await publisher.publish_many((topics.NOTIFICATION_STATUS, e) for e in ready)
        metrics.receipts(events)
        return True

    async def publish_traced(topic: str, event: Event) -> None:
        """Publishes a receipt's event in a span of the notification's own trace (when tracing
        exports and the trace context stored with its send claim can be had at once)."""
        publisher: WindowedPublisher = app.state.publisher
        if not tracing.exporting():  # a span nobody would see
            await publisher.publish(topic, event)
            return
        stored = await app.state.lookups.traceparent(event.notification_id)
        with tracing.linked_span("receipt", stored, tracing.event_attributes(event)):
            await publisher.publish(topic, event)

    async def record(topic: str, event: Event) -> JSONResponse:
        await publish_traced(topic, event)
        metrics.receipts([event])
        return JSONResponse({"result": "success"})

    async def mmg(request: Posted) -> Answer:
        if (refusal := refused(request, token_ok(request, settings.mmg_receipt_token))) is not None:
            return refusal
        try:
            body = _loads(request.body)
            cid, status = str(body["CID"]), str(body["status"])
        except (ValueError, KeyError, TypeError):
            return _error("MMG callback failed: invalid body")
        if not _valid_id(cid):
            return _error("MMG callback with invalid reference")
        substatus = body.get("substatus")
        detail = f"mmg status {status}" + (f"/{substatus}" if substatus is not None else "")
        event = domain.receipt_event(cid, "mmg", mmg_outcome(status), detail)
        if not await taken("mmg", [event]):
            return _error("MMG callback for an unknown reference", 404)
        return SUCCESS

    async def firetext(request: Posted) -> Answer:
        if (refusal := refused(request, token_ok(request, settings.firetext_receipt_token))) is not None:
            return refusal
        form = _form(request)
        reference, status = form.get("reference", ""), form.get("status", "")
        if not status or not _valid_id(reference):
            return _error("Firetext callback failed: invalid body")
        code = form.get("code")
        outcome = firetext_outcome(status, code)
        detail = f"firetext status {status}" + (f"/{code}" if code else "")
        event = domain.receipt_event(reference, "firetext", outcome, detail)
        if not await taken("firetext", [event]):
            return _error("Firetext callback for an unknown reference", 404)
        return SUCCESS

    @app.post("/notifications/email/ses")
    async def ses(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError("not an object")
            message = await request.app.state.sns.verify(body)
        except (ValueError, InvalidSnsMessage) as exc:
            log.warning("SNS message refused", extra={"error": str(exc)})
            return _error_response("invalid SNS message", 403 if isinstance(exc, InvalidSnsMessage) else 400)
        allowed = settings.topic_arns()
        if allowed and message.topic_arn not in allowed:
            return _error_response("SNS topic not accepted", 403)
        if message.type == "SubscriptionConfirmation":
            return await _confirm(request, message.subscribe_url)
        if message.type != "Notification":
            return JSONResponse({"result": "success"})
        try:
            parsed = domain.parse_ses(orjson.loads(message.message))
        except (ValueError, TypeError):
            return _error_response("SNS notification is not an SES event")
        if parsed.outcome is None:
            return JSONResponse({"result": "ignored"})
        lookups: Lookups = request.app.state.lookups
        resolved = request.app.state.recent.by_reference(parsed.message_id) or await lookups.resolve(
            parsed.message_id, settings.ses_resolve_wait_seconds
        )
        if resolved is None:
            return _unresolved(parsed)
        event = domain.ses_event(parsed, resolved.notification_id, resolved.service_id)
        assert event is not None
        return await record(topics.NOTIFICATION_STATUS, domain.enriched(event, resolved))

    def _unresolved(parsed: domain.SesEvent) -> Response:
        ids = {"provider_reference": parsed.message_id, "ses_event": parsed.event_type}
        sent = parsed.mail_sent_at or now()
        if now() - sent > timedelta(seconds=settings.ses_receipt_max_age_seconds):
            UNRESOLVED.inc()
            log.error("SES receipt for an unknown message given up", extra=ids)
            return JSONResponse({"result": "unknown reference"})
        log.warning(
            "SES receipt for a message whose send event is not known yet; SNS will redeliver", extra=ids
        )
        return _error_response("reference not known yet", 503)

    async def _confirm(request: Request, url: str | None) -> Response:
        verifier: SnsVerifier = request.app.state.sns
        if url is None or not verifier.trusted(url):
            return _error_response("untrusted SubscribeURL", 403)
        client: httpx.AsyncClient = request.app.state.client
        try:
            (await client.get(url, timeout=5.0)).raise_for_status()
        except httpx.HTTPError:
            return _error_response("subscription could not be confirmed", 502)
        log.info("SNS subscription confirmed")
        return JSONResponse({"result": "confirmed"})

    async def letter_status(request: Posted) -> Answer:
        if (refusal := refused(request, token_ok(request, settings.letter_callback_token))) is not None:
            return refusal
        try:
            body = _loads(request.body)
            data: dict[str, Any] = body["data"]
            job_id, job_status = str(data["jobId"]), str(data["jobStatus"])
        except (ValueError, KeyError, TypeError):
            return _error("letter callback failed: invalid body")
        outcome = print_outcome(job_status)
        if not _valid_id(job_id) or outcome is None:
            return _error("letter callback with invalid reference or status")
        event = domain.receipt_event(job_id, PRINT_PROVIDER, outcome, f"print job {job_status.lower()}")
        if not await taken(PRINT_PROVIDER, [event]):
            return _error("letter callback for an unknown reference", 404)
        return SUCCESS

    async def letters_returned(request: Posted) -> Answer:
        if (refusal := refused(request, token_ok(request, settings.letter_callback_token))) is not None:
            return refusal
        try:
            references = [str(r) for r in _loads(request.body)["references"]]
        except (ValueError, KeyError, TypeError):
            return _error("returned letters: invalid body")
        if not references or not all(_valid_id(r) for r in references):
            return _error("returned letters: invalid references")
        events = [domain.receipt_event(r, PRINT_PROVIDER, "returned_letter", "returned") for r in references]
        if not await taken(PRINT_PROVIDER, events):
            return _error("returned letters: unknown references", 404)
        return 200, _json({"result": "success", "count": len(references)})

    async def mmg_inbound(request: Posted) -> Answer:
        authenticated = basic_ok(request, settings.mmg_inbound_username, settings.mmg_inbound_password)
        if (refusal := refused(request, authenticated)) is not None:
            return refusal
        try:
            text = domain.parse_mmg_inbound(_loads(request.body))
        except (ValueError, KeyError, TypeError):
            return _error("MMG inbound: invalid body")
        return await _inbound(text)

    async def firetext_inbound(request: Posted) -> Answer:
        authenticated = basic_ok(
            request, settings.firetext_inbound_username, settings.firetext_inbound_password
        )
        if (refusal := refused(request, authenticated)) is not None:
            return refusal
        try:
            text = domain.parse_firetext_inbound(_form(request))
        except KeyError:
            return _error("Firetext inbound: invalid body")
        return await _inbound(text)

    async def _inbound(text: domain.InboundText) -> Answer:
        lookups: Lookups = app.state.lookups
        producer: EventProducer = app.state.producer
        try:
            owner = await lookups.inbound_service(text.notify_number, domain.local_format(text.notify_number))
        except DependencyUnavailableError:
            # Taken for the service that will be found to own the number, if any (``unchecked.py``).
            event = domain.inbound_event(text, domain.UNKNOWN_SERVICE)
            await producer.publish(topics.RECEIPTS_UNCHECKED, event)
            unchecked.TAKEN.labels(kind=unchecked.INBOUND_SMS).inc()
            log.warning(
                "database unavailable: inbound text taken to be checked later",
                extra={"provider": text.provider, "inbound_sms_id": event.inbound_sms_id},
            )
            return INBOUND_OK
        if owner is None:
            # Acknowledged, as in Notify: the provider must not keep retrying a number we don't own.
            log.warning("inbound text for an unknown number dropped", extra={"provider": text.provider})
            return INBOUND_OK
        service_id, number = owner
        # As in Notify, a received text's notify_number is the service's inbound number as it is
        # held, not as this provider happened to write it.
        event = domain.inbound_event(replace(text, notify_number=number), service_id)
        await producer.publish(topics.INBOUND_SMS, event)
        log.info(
            "inbound text received", extra={"service_id": service_id, "inbound_sms_id": event.inbound_sms_id}
        )
        return INBOUND_OK

    # Served straight from ASGI by ``fastpath.ProviderRoutes``, and as the app's own routes.
    provider_routes: dict[str, Handler] = {
        "/notifications/sms/mmg": mmg,
        "/notifications/sms/firetext": firetext,
        "/notifications/letter/status": letter_status,
        "/notifications/letter/returned": letters_returned,
        "/notifications/sms/receive/mmg": mmg_inbound,
        "/notifications/sms/receive/firetext": firetext_inbound,
    }
    for path, handler in provider_routes.items():
        app.add_api_route(path, routed(handler), methods=["POST"])
    app.state.direct_routes = provider_routes

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    return app
