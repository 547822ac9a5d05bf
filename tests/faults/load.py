"""Steady open-loop load through the public API, as the fault tests apply it: each request is due at
its own time whether or not earlier ones have answered, and is timed from when it was due."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import jwt

from tests.support.platform import Platform


@dataclass
class Answer:
    due: float  # seconds from the start of the load
    latency: float  # seconds from when it was due to its answer (or to giving up)
    status: int  # HTTP status; 0 when no answer came
    notification_id: str | None = None
    retry_after: str | None = None
    error: str | None = None


@dataclass
class LoadResult:
    answers: list[Answer] = field(default_factory=list)

    @property
    def accepted(self) -> list[str]:
        return [a.notification_id for a in self.answers if a.status == 201 and a.notification_id]

    @property
    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.answers)

    @property
    def max_latency(self) -> float:
        return max((a.latency for a in self.answers), default=0.0)

    def refused(self) -> list[Answer]:
        return [a for a in self.answers if a.status != 201]

    def summary(self) -> str:
        return f"{len(self.answers)} requests: {dict(self.statuses)}; max latency {self.max_latency:.1f} s"

    def timeline(self, step: float = 5.0) -> str:
        """Per ``step`` seconds of due time: the answers by status and the slowest answer."""
        rows: dict[int, list[Answer]] = {}
        for answer in self.answers:
            rows.setdefault(int(answer.due // step), []).append(answer)
        return "\n".join(
            f"{i * step:5.0f}s {dict(Counter(a.status for a in rows[i]))} max {max(a.latency for a in rows[i]):.1f} s"
            for i in sorted(rows)
        )


def bearer(api_key: str) -> str:
    """A Notify JWT from a combined API key (service id and secret are its last 73 characters)."""
    return jwt.encode({"iss": api_key[-73:-37], "iat": int(time.time())}, api_key[-36:], "HS256")


async def send_sms_load(
    api_url: str,
    api_key: str,
    template_id: str,
    *,
    rate: float,
    seconds: float,
    client_timeout: float = 30.0,
    phone_number: str = "07700900123",
    until: Callable[[], bool] | None = None,
) -> LoadResult:
    """POST /v2/notifications/sms at ``rate`` a second for ``seconds`` (or until ``until()`` is true,
    if sooner); every answer is recorded."""
    result = LoadResult()
    body = {"phone_number": phone_number, "template_id": template_id, "personalisation": {"name": "Load"}}
    # aiohttp, unbounded, a connection per request: a client fleet has no shared pool to queue in, and httpx's pool costs too
    # much CPU with hundreds of requests in flight to time them fairly on a small machine.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # no reuse of a closing keep-alive
    timeout = aiohttp.ClientTimeout(total=client_timeout)
    async with aiohttp.ClientSession(base_url=api_url, connector=connector, timeout=timeout) as client:
        start = time.monotonic()

        async def one(due: float) -> None:
            headers = {"Authorization": f"Bearer {bearer(api_key)}"}
            try:
                async with client.post("/v2/notifications/sms", json=body, headers=headers) as response:
                    text = await response.text()
                    answer = Answer(
                        due,
                        time.monotonic() - start - due,
                        response.status,
                        retry_after=response.headers.get("Retry-After"),
                    )
            except (aiohttp.ClientError, TimeoutError) as error:
                result.answers.append(
                    Answer(due, time.monotonic() - start - due, 0, error=type(error).__name__)
                )
                return
            if answer.status == 201:
                answer.notification_id = json.loads(text)["id"]
            else:
                answer.error = text[:300]
            result.answers.append(answer)

        tasks = []
        for i in range(int(rate * seconds)):
            if until is not None and until():
                break
            due = i / rate
            delay = start + due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
    return result


def load_under_fault(
    platform: Platform,
    *,
    rate: float,
    seconds: float,
    break_at: float,
    breaking: Callable[[], str],
    mend_at: float,
    mending: Callable[[], str],
) -> tuple[LoadResult, list[str], float]:
    """Steady SMS load through ``platform``'s API while, in a thread of its own, ``breaking`` runs
    ``break_at`` seconds in and ``mending`` at ``mend_at``; each returns what it did. Returns the
    load, what was done, and the monotonic time the fault was mended."""
    done: list[str] = []
    mended: list[float] = []

    def inject() -> None:
        time.sleep(break_at)
        done.append(breaking())
        time.sleep(mend_at - break_at)
        done.append(mending())
        mended.append(time.monotonic())

    injector = threading.Thread(target=inject)
    injector.start()
    load = asyncio.run(
        send_sms_load(
            platform.api_url,
            platform.credentials["NOTIFY_API_KEY_LIVE"],
            platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
            rate=rate,
            seconds=seconds,
        )
    )
    injector.join()
    print(f"{'; '.join(done)}; {load.summary()}\n{load.timeline()}")
    assert len(done) == 2, done
    return load, done, mended[0]
