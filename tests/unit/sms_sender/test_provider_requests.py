"""What the sms-sender sends its HTTP providers, seen by a tiny local HTTP server: its client
(``http_errors.session``) is the shared keep-alive one, sending as the sms-sender with each call
traced, and the MMG and Firetext payloads it carries are what those APIs expect. (The client itself
is tested in tests/unit/common/test_http_client.py.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode

import pytest

from notify_common.http_client import HttpClient
from notify_sms_sender.providers import SmsMessage
from notify_sms_sender.providers.firetext import FiretextProvider
from notify_sms_sender.providers.http_errors import FORM, session
from notify_sms_sender.providers.mmg import MmgProvider
from tests.support.scripted_http import Server, header_fields, ok, serving
from tests.support.spans import recorded_spans


async def answer_code_0(_: bytes) -> bytes:
    return ok(b'{"code":0}')


@pytest.fixture
async def served() -> AsyncIterator[tuple[Server, str]]:
    async with serving(answer_code_0, "/send") as served:
        yield served


async def test_the_providers_client_sends_as_the_sms_sender_and_traces_each_call(
    served: tuple[Server, str],
) -> None:
    server, url = served
    with recorded_spans() as spans:
        async with session(concurrency=1, timeout_s=5) as client:
            await client.post(url, b"a=1", FORM)
    [head] = server.heads
    request_line, fields = header_fields(head)
    [span] = spans.get_finished_spans()
    assert span.context is not None
    assert request_line == "POST /send HTTP/1.1"
    assert fields == {
        "host": f"127.0.0.1:{server.port}",
        "user-agent": "notify-sms-sender",
        "content-type": "application/x-www-form-urlencoded",
        "content-length": "3",
        "traceparent": f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-{span.context.trace_flags:02x}",
    }


async def test_the_providers_payloads_carry_every_field_escaped(served: tuple[Server, str]) -> None:
    server, url = served
    message = SmsMessage("4a1c-id", "447700900123", 'Héllo "you" & £5\nbye', "GOV UK", True)
    async with HttpClient(limit=1, timeout_s=5) as client:
        await MmgProvider(client, url, "u", "p", "https://r.example/mmg?a=1&b=2").send(message)
        await FiretextProvider(client, url, "k&1", "intl=2", "https://r.example/ft").send(message)
    mmg, firetext = server.bodies
    assert json.loads(mmg) == {
        "reqType": "BULK",
        "MSISDN": "447700900123",
        "msg": 'Héllo "you" & £5\nbye',
        "sender": "GOV UK",
        "cid": "4a1c-id",
        "multi": True,
        "delurl": "https://r.example/mmg?a=1&b=2",
    }
    assert parse_qs(firetext.decode()) == {
        "apiKey": ["intl=2"],  # the international key, for an international message
        "from": ["GOV UK"],
        "to": ["447700900123"],
        "message": ['Héllo "you" & £5\nbye'],
        "reference": ["4a1c-id"],
        "receipt": ["https://r.example/ft"],
    }


@pytest.mark.parametrize(
    ("content", "sender", "international"),
    [
        ("Your code is 1234", "GOVUK", False),
        ('Héllo "you" & £5\nbye + 50% = ½ 🎉', "GOV UK", True),
        ("a=b&c=d;e/f?g#h~i*j'k(l)m!n", "07700 900123", False),
        ("", "", True),
    ],
)
async def test_the_firetext_form_is_byte_for_byte_what_urlencode_makes_of_it(
    served: tuple[Server, str], content: str, sender: str, international: bool
) -> None:
    server, url = served
    message = SmsMessage("4a1c+id/é", "447700900123", content, sender, international)
    async with HttpClient(limit=1, timeout_s=5) as client:
        await FiretextProvider(client, url, "k&1", "intl=2", "https://r.example/ft?a=1&b=2").send(message)
    [body] = server.bodies
    form = {
        "apiKey": "intl=2" if international else "k&1",
        "from": sender,
        "to": "447700900123",
        "message": content,
        "reference": "4a1c+id/é",
        "receipt": "https://r.example/ft?a=1&b=2",
    }
    assert body == urlencode(form).encode()
