"""Which records the callbacks consumer passes over before decoding them: an event of a type that
never calls for a callback, or of a service with no callback it may call for, read from the
record's schema fingerprint and the service id at the start of its body (``codec.peek``). Most
status events on a platform are of services without callbacks; each then costs a dictionary
look-up instead of a decode. A ``sent`` status calls for a delivery-status callback only for an
international text, so one that is not (every domestic text's, every email's) is passed over too,
from its ``international`` flag (``codec.peek_field``): with a callback for every notification, that
is half the status events the service reads.

Only a fresh configuration (``CallbackConfig.fresh``) passes a record over, so a callback
configured a moment ago is honoured within the same interval as before; with none loaded yet, or an
undecodable record, the record is decoded and the handler decides (and dead-letters) as ever."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from notify_callbacks import decide
from notify_callbacks.config import CallbackConfig
from notify_common import codec
from notify_common.events import NotificationSentToProvider


class Sieve:
    def __init__(self, config: CallbackConfig) -> None:
        self._config = config

    def __call__(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """True for a record that owes no callback, whatever the rest of it says."""
        if not self._config.fresh:
            return False
        data = record.value or b""
        try:
            event_type, service_id = codec.peek(data)
            if not decide.may_want(event_type, service_id, self._config):
                return True
            # Only an international text's ``sent`` calls for a callback (decide.callback_type).
            return (
                event_type is NotificationSentToProvider and codec.peek_field(data, "international") is False
            )
        except ValueError:
            return False
