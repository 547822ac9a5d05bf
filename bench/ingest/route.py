"""The api-gateway's CPU per ``POST /v2/notifications/sms`` in one process, from the ASGI scope
uvicorn hands over to the response it is given back: every layer the server runs (metrics, trace
context, load shedding, request limits, the hot route), authentication with a remembered token,
validation, ``prepare_sms``, Avro encoding and the producer's record headers, with Redis's
admission and Kafka's acknowledgement answered at once by fakes (their round trips are
``bench/ingest/admit.py``'s and ``produce.py``'s). Prints the CPU microseconds per request
(``time.process_time``) of each of ``--rounds`` rounds, so two builds can be compared by
alternating them on a busy machine. Requests run ``--concurrency`` at a time, as a saturated
gateway's do: they share the producer's publishing window (5 ms), which one request at a time
would wait out alone.

    .venv/bin/python bench/ingest/route.py [--requests 20000] [--rounds 5] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any, cast

import jwt
import orjson
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.ingest.prepare import SERVICE_ID, caller, template
from notify_api_gateway.app import create_asgi_app
from notify_api_gateway.dependencies import AppState
from notify_api_gateway.recent import RecentNotifications
from notify_api_gateway.settings import ApiSettings
from notify_common import codec, garbage
from notify_common.http import server_config
from notify_common.instrumentation import setup_instrumentation
from notify_common.kafka import EventProducer
from notify_common.ratelimit import Admission, DailyDecision, RateDecision
from notify_common.service_config import ApiKey, ServiceConfig, Template

SECRET = str(uuid.uuid4())
ALLOWED = Admission(RateDecision(True, 0), DailyDecision(True))


class Configs:
    """The repository's cache, always warm: the service with its one key, and the template."""

    def __init__(self, config: ServiceConfig, chosen: Template) -> None:
        self.config, self.chosen = config, chosen

    async def service_config(self, service_id: str) -> ServiceConfig | None:
        return self.config

    async def template(self, service_id: str, template_id: str) -> Template | None:
        return self.chosen


class Admitted:
    async def admit(self, *args: Any, **kwargs: Any) -> Admission:
        return ALLOWED


class Acknowledged:
    """Where ``EventProducer`` hands its records (``kafka._Sends``), every record acknowledged at
    once."""

    async def send(self, topic: str, **record: Any) -> asyncio.Future[None]:
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def state(settings: ApiSettings) -> tuple[AppState, str]:
    who = caller()
    key = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE_ID, name="k", key_type="normal", revoked=False)
    config = ServiceConfig(service=who.service, keys=[(key, SECRET)])
    chosen = template()
    producer = EventProducer(settings, client_id="bench")
    producer._records = Acknowledged()
    recent = RecentNotifications(cast(Any, None), settings.recent_notification_seconds)
    unused = cast(Any, None)  # nothing a text message with no Idempotency-Key touches
    fake = AppState(
        settings=settings,
        repository=cast(Any, Configs(config, chosen)),
        producer=producer,
        reads=unused,
        limiter=cast(Any, Admitted()),
        recent=recent,
        idempotency=unused,
        held=unused,
        letters=unused,
        documents=unused,
        job_files=unused,
        legacy=unused,
    )
    return fake, chosen.id


async def one_round(app: Any, requests: int, template_id: str, concurrency: int) -> float:
    """CPU microseconds per request over ``requests`` requests."""
    token = jwt.encode({"iss": SERVICE_ID, "iat": int(time.time())}, SECRET, algorithm="HS256")
    bodies = [
        orjson.dumps(
            {
                "phone_number": "07700900123",
                "template_id": template_id,
                "personalisation": {"name": f"Ada {i}", "day": "Monday", "time": "10:30"},
                "reference": f"ref-{i}",
            }
        )
        for i in range(requests)
    ]
    statuses: list[int] = []

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def request(body: bytes) -> None:
        headers = [
            (b"host", b"127.0.0.1:6011"),
            (b"authorization", b"Bearer " + token.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 6011),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": "POST",
            "root_path": "",
            "path": "/v2/notifications/sms",
            "raw_path": b"/v2/notifications/sms",
            "query_string": b"",
            "headers": headers,
            "state": {},
        }

        async def receive(body: bytes = body) -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, receive, send)

    start = time.process_time()
    for at in range(0, len(bodies), concurrency):
        await asyncio.gather(*(request(body) for body in bodies[at : at + concurrency]))
    elapsed = time.process_time() - start
    if set(statuses) != {201}:
        raise SystemExit(f"not every request was accepted: {sorted(set(statuses))}")
    return elapsed / requests * 1e6


async def run(requests: int, rounds: int, concurrency: int) -> list[float]:
    settings = ApiSettings(log_level="WARNING")
    setup_instrumentation("api-gateway")
    codec.default_codec()
    asgi = create_asgi_app(settings)
    app = server_config(asgi, 1.0).app  # as the server runs it: metrics and tracing around it
    fake, template_id = state(settings)
    inner: Any = asgi
    while not isinstance(inner, FastAPI):
        inner = inner.app
    inner.state.notify = fake
    await one_round(app, 1_000, template_id, concurrency)  # validators built, caches warm
    garbage.started()  # as the server does once it is up
    return [await one_round(app, requests, template_id, concurrency) for _ in range(rounds)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    import uvloop

    rounds = uvloop.run(run(args.requests, args.rounds, args.concurrency))
    print("CPU µs per request, each round:", ", ".join(f"{r:.1f}" for r in rounds))
    print(f'RESULT {{"min_us": {min(rounds):.1f}, "median_us": {sorted(rounds)[len(rounds) // 2]:.1f}}}')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
