"""The api-gateway's own work per text message, without the network: the request body parsed and
validated against ``POST_SMS``, the send decided (``prepare_sms``: template rendered, number
checked, event built) and its record made (Avro ``codec.encode``, the partition key), in one
process. Prints the CPU microseconds per send (``time.process_time``) of each of ``--rounds``
rounds, so two builds can be compared by alternating them on a busy machine.

    .venv/bin/python bench/ingest/prepare.py [--sends 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

from notify_api_gateway.auth import Authenticated
from notify_api_gateway.schemas import POST_SMS
from notify_api_gateway.sending import SendContext, prepare_sms
from notify_api_gateway.validation import validate
from notify_common import codec
from notify_common.service_config import ApiKey, ServiceConfig, Template

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.services import council

SERVICE_ID = str(uuid.uuid4())
CONTENT = "Hello ((name)), your appointment is on ((day)) at ((time)). Reply STOP to opt out."


def caller() -> Authenticated:
    service = council(SERVICE_ID)
    key = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE_ID, name="k", key_type="normal", revoked=False)
    return Authenticated(service=service, api_key=key, config=ServiceConfig(service=service, keys=[]))


def template() -> Template:
    return Template(
        id=str(uuid.uuid4()),
        service_id=SERVICE_ID,
        version=1,
        name="bench",
        template_type="sms",
        subject=None,
        content=CONTENT,
        postage=None,
        archived=False,
        created_at=datetime.now(UTC),
        updated_at=None,
        created_by=None,
        letter_contact_block=None,
    )


def one_round(sends: int, who: Authenticated, chosen: Template) -> float:
    """CPU microseconds per send over ``sends`` sends."""
    bodies = [
        orjson.dumps(
            {
                "phone_number": "07700900123",
                "template_id": chosen.id,
                "personalisation": {"name": f"Ada {i}", "day": "Monday", "time": "10:30"},
                "reference": f"ref-{i}",
            }
        )
        for i in range(sends)
    ]
    start = time.process_time()
    for raw in bodies:
        body = validate(orjson.loads(raw), POST_SMS)
        ctx = SendContext(
            notification_id=str(uuid.uuid4()),
            created_at=datetime.now(UTC),
            url_root="https://api.test",
            email_domain="mail.test",
        )
        send = prepare_sms(who, chosen, body, ctx)
        codec.encode(send.event)
        send.event.partition_key.encode()
    return (time.process_time() - start) / sends * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    who, chosen = caller(), template()
    one_round(1_000, who, chosen)  # schemas parsed, validators built
    rounds = [one_round(args.sends, who, chosen) for _ in range(args.rounds)]
    print("CPU µs per send, each round:", ", ".join(f"{r:.1f}" for r in rounds))
    print(f'RESULT {{"min_us": {min(rounds):.1f}, "median_us": {sorted(rounds)[len(rounds) // 2]:.1f}}}')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
