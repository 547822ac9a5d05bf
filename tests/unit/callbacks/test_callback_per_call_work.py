"""What the callbacks service does for every callback, done more cheaply with the same result: the
``webhook-id`` is ``uuid5`` of the callback's key and the times in a body are ``strftime``'s."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

from notify_callbacks import decide, payloads
from notify_common.events import CallbackType
from tests.unit.callbacks.support import WITH


def test_the_webhook_id_is_uuid5_of_the_key_in_the_callbacks_namespace() -> None:
    rng = random.Random(20261205)
    names = ["", "delivery_status:n:final", "inbound_sms:é日本😀", "x" * 1_000]
    names += [f"delivery_status:{uuid.UUID(int=rng.getrandbits(128))}:sent" for _ in range(2_000)]
    for name in names:
        assert decide.uuid5_hex(name) == uuid.uuid5(decide.NAMESPACE, name).hex
    owed = decide.Owed("delivery_status:n:final", WITH, CallbackType.DELIVERY_STATUS, {})
    assert owed.message_id == "msg_" + uuid.uuid5(decide.NAMESPACE, "delivery_status:n:final").hex


def test_a_time_in_a_callback_body_is_written_as_strftime_writes_it() -> None:
    rng = random.Random(20261205)
    first, last = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    span = (last - first) // timedelta(microseconds=1)
    values = [first, last, datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1000, 1, 1, tzinfo=UTC)]
    values += [datetime(2026, 12, 5, 12, 0, tzinfo=UTC), datetime(2026, 12, 5, 12, 0, 0, 1)]
    values += [datetime(2026, 12, 5, 12, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))]
    values += [first + timedelta(microseconds=rng.randrange(span)) for _ in range(5_000)]
    values += [v.replace(microsecond=0) for v in values[-100:]]
    for value in values:
        assert payloads.fmt(value) == value.strftime(payloads.DATETIME_FORMAT), value
    assert payloads.fmt(None) is None
