"""bench/receipts/taking.py: a receipt's own work in the receipts service, in process.

What ``POST /notifications/sms/mmg`` does between the body being read and the event being handed to
the producer, step by step as the route does it, without HTTP, Kafka or PostgreSQL: the token
checked, the JSON body parsed, the reference checked, the receipt's event made, its send event
found among those learnt (``RecentSends``), the event enriched with it, and the event encoded.
Reported: CPU time (``time.process_time()``) per receipt over ``--receipts``, the fastest and the
median of ``--repeats`` rounds, and the load average. Whichever ``notify_receipts`` is first on
the path is measured: put an older one ahead with ``PYTHONPATH`` for a before/after pair.

    .venv/bin/python bench/receipts/taking.py [--receipts 20000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import UTC, datetime

import orjson
from pydantic import SecretStr

import notify_receipts
from notify_common.codec import default_codec
from notify_common.events import Channel, NotificationSentToProvider
from notify_receipts import domain
from notify_receipts.app import _loads, _valid_id
from notify_receipts.auth import token_ok
from notify_receipts.codes import mmg_outcome
from notify_receipts.fastpath import Posted
from notify_receipts.recent import RecentSends

TOKEN = SecretStr("bench-token-0123456789abcdef")


def sent(nid: str) -> NotificationSentToProvider:
    at = datetime.now(UTC)
    return NotificationSentToProvider(
        notification_id=nid, service_id=str(uuid.uuid4()), channel=Channel.SMS, provider="mmg",
        provider_reference=nid, sent_at=at, billable_units=1, notification_type="sms",
        recipient="07700900123", template_id=str(uuid.uuid4()), template_version=1, created_at=at,
    )  # fmt: skip


def one_round(posted: list[Posted], recent: RecentSends) -> float:
    encode = default_codec().encode
    started = time.process_time()
    for request in posted:
        assert token_ok(request, TOKEN)
        body = _loads(request.body)
        cid, status = str(body["CID"]), str(body["status"])
        assert _valid_id(cid)
        substatus = body.get("substatus")
        detail = f"mmg status {status}" + (f"/{substatus}" if substatus is not None else "")
        event = domain.receipt_event(cid, "mmg", mmg_outcome(status), detail)
        known = recent.known([cid], "mmg")
        encode(domain.enriched(event, known[cid]))
    return (time.process_time() - started) / len(posted)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    ids = [str(uuid.uuid4()) for _ in range(args.receipts)]
    recent = RecentSends(len(ids))
    recent.learnt([sent(nid) for nid in ids])
    headers = [(b"host", b"receipts"), (b"content-type", b"application/json")]
    when = "2026-12-06 01:00:00"
    posted = [
        Posted(
            b"token=" + TOKEN.get_secret_value().encode(),
            headers,
            ("127.0.0.1", 50000),
            orjson.dumps({"status": "3", "CID": nid, "substatus": "2", "deliverytime": when}),
        )
        for nid in ids
    ]
    load = os.getloadavg()[0]
    rounds = [one_round(posted, recent) * 1e6 for _ in range(args.repeats)]
    print(
        f"RESULT {notify_receipts.__file__}: {min(rounds):.1f} µs CPU per receipt at best, "
        f"median {statistics.median(rounds):.1f} µs ({args.repeats} rounds of {args.receipts}; "
        f"load {load:.1f} -> {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
