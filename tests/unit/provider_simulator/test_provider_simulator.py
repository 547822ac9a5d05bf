"""The provider simulator's HTTP behaviour: MMG and Firetext styles, a repeated hand-over
delivered again and counted (as the phone would see it), the status lookup by reference,
per-provider fault modes, and the research-mode receipt tables agreeing with the receipts
service's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from notify_provider_simulator.app import _receipt_time, create_app, form_fields
from notify_provider_simulator.receipt_posting import encoded
from notify_provider_simulator.settings import SimulatorSettings
from notify_provider_simulator.state import OwedReceipt
from notify_receipts.codes import firetext_outcome, mmg_outcome
from notify_sms_sender.providers.research import FIRETEXT_RECEIPT, MMG_RECEIPT


@pytest.fixture
def simulator() -> Iterator[TestClient]:
    settings = SimulatorSettings(simulator_send_receipts=False, simulator_printer=False)
    with TestClient(create_app(settings)) as client:
        yield client


def mmg(reference: str, to: str = "447700900123") -> dict[str, object]:
    return {"reqType": "BULK", "MSISDN": to, "msg": "Hi", "sender": "GOVUK", "cid": reference, "multi": True}


def test_a_repeated_mmg_send_is_delivered_again_and_counted_as_a_duplicate_handover(
    simulator: TestClient,
) -> None:
    reference = str(uuid.uuid4())
    assert simulator.post("/mmg", json=mmg(reference)).json() == {"Reference": reference}
    assert simulator.post("/mmg", json=mmg(reference)).json() == {"Reference": reference}
    stats = simulator.get("/api/stats").json()
    assert (stats["messages"], stats["handovers"], stats["send_attempts"]) == (1, 2, 2)
    assert stats["duplicate_handovers"] == 1
    assert stats["duplicate_handovers_by_provider"] == {"mmg": 1}
    [message] = simulator.get("/api/messages").json()["messages"]
    assert message["duplicates"] == 1


def test_repeats_are_counted_per_provider(simulator: TestClient) -> None:
    form = {"to": "447700900123", "message": "Hi", "reference": str(uuid.uuid4())}
    for _ in range(3):
        assert simulator.post("/firetext", data=form).status_code == 200
    simulator.post("/mmg", json=mmg(str(uuid.uuid4())))
    stats = simulator.get("/api/stats").json()
    assert stats["duplicate_handovers"] == 2
    assert stats["duplicate_handovers_by_provider"] == {"firetext": 2}
    assert stats["by_provider"] == {"firetext": 1, "mmg": 1}


def test_the_status_lookup_says_which_references_the_provider_has_seen(simulator: TestClient) -> None:
    seen, unseen = str(uuid.uuid4()), str(uuid.uuid4())
    simulator.post("/mmg", json=mmg(seen))
    answer = simulator.post("/mmg/status", json={"references": [seen, unseen]})
    assert answer.status_code == 200
    assert answer.json() == {"seen": [seen]}
    # Each provider answers for its own messages only.
    assert simulator.post("/firetext/status", json={"references": [seen]}).json() == {"seen": []}


def test_a_malformed_status_lookup_is_refused(simulator: TestClient) -> None:
    assert simulator.post("/mmg/status", json={"references": "x"}).status_code == 400
    assert simulator.post("/mmg/status", content=b"not json").status_code == 400


def test_a_firetext_form_send_is_accepted_and_a_bad_one_refused(simulator: TestClient) -> None:
    form = {
        "apiKey": "k",
        "from": "GOVUK",
        "to": "447700900123",
        "message": "Hi £5 & more",
        "reference": "r-1",
    }
    assert simulator.post("/firetext", data=form).json()["code"] == 0
    [message] = simulator.get("/api/messages").json()["messages"]
    assert (message["provider"], message["content"], message["sender"]) == (
        "firetext",
        "Hi £5 & more",
        "GOVUK",
    )
    assert simulator.post("/firetext", data={**form, "message": ""}).status_code == 400


def test_a_fault_for_one_provider_leaves_the_other_working(simulator: TestClient) -> None:
    assert simulator.put("/api/fault", json={"mode": "errors", "provider": "mmg"}).status_code == 200
    assert simulator.post("/mmg", json=mmg(str(uuid.uuid4()))).status_code == 500
    form = {"to": "447700900123", "message": "Hi", "reference": str(uuid.uuid4())}
    assert simulator.post("/firetext", data=form).status_code == 200
    simulator.put("/api/fault", json={"mode": "throttle"})
    assert simulator.post("/firetext", data={**form, "reference": "x"}).status_code == 429
    assert simulator.put("/api/fault", json={"mode": "melting"}).status_code == 400


def test_the_stats_and_metrics_show_each_receipt_owed_until_it_is_posted() -> None:
    # Receipts due in a minute: both sends' receipts are owed, none posted, retried or dropped yet.
    settings = SimulatorSettings(
        simulator_printer=False,
        simulator_receipt_delay_ms_min=60_000,
        simulator_receipt_delay_ms_max=60_000,
    )
    before = REGISTRY.get_sample_value("notify_simulator_receipts_owed") or 0.0
    with TestClient(create_app(settings)) as client:
        client.post("/mmg", json=mmg(str(uuid.uuid4())))
        client.post("/firetext", data={"to": "447700900123", "message": "Hi", "reference": "r-2"})
        stats = client.get("/api/stats").json()
        owed = REGISTRY.get_sample_value("notify_simulator_receipts_owed") or 0.0
    assert (stats["receipts_in_flight"], stats["receipts_posted"]) == (2, 0)
    assert (stats["receipts_retried"], stats["receipts_dropped"]) == (0, 0)
    assert owed - before == 2


@pytest.mark.parametrize("outcome", ["delivered", "permanent-failure", "temporary-failure"])
def test_research_mode_receipts_mean_what_the_receipts_service_reads_them_as(outcome: str) -> None:
    expected = outcome.replace("-", "_")
    status, _ = MMG_RECEIPT[outcome]
    assert mmg_outcome(status) == expected
    status, code = FIRETEXT_RECEIPT[outcome]
    assert firetext_outcome(status, code) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"cid": "a", "MSISDN": "447700900123", "msg": "Hi"}',
        b'{"cid": NaN, "MSISDN": "447700900123", "msg": "Hi"}',
        b'{"cid": "\\ud800", "MSISDN": "447700900123", "msg": "Hi"}',
        b'{"cid": 123456789012345678901234567890, "MSISDN": "447700900123", "msg": "Hi"}',
        '{"cid": "b", "MSISDN": "447700900123", "msg": "Hi"}'.encode("utf-16"),
        b'{"cid": "c", "cid": "d", "MSISDN": "447700900123", "msg": "Hi"}',
        b'["cid", "MSISDN", "msg"]',
        b'{"cid": "e", "MSISDN": "447700900123"}',
        b'{"cid": "f", "MSISDN": "447700900123", "msg": "Hi"',
        b"",
    ],
)
def test_an_mmg_send_is_taken_or_refused_as_pythons_json_reads_its_body(
    simulator: TestClient, body: bytes
) -> None:
    expected: dict[str, object]
    try:
        parsed = json.loads(body)
        expected = {"Reference": str(parsed["cid"])}
        parsed["MSISDN"], parsed["msg"]
    except (ValueError, KeyError, TypeError):
        expected = {"Error": 2, "Description": "Invalid request"}
    response = simulator.post("/mmg", content=body, headers={"Content-Type": "application/json"})
    assert response.json() == expected
    assert response.status_code == (200 if "Reference" in expected else 400)


def test_a_receipt_gives_the_time_as_the_provider_writes_it() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    written = datetime.strptime(_receipt_time(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before <= written <= datetime.now(UTC)


@pytest.mark.parametrize(
    "body",
    [
        urlencode(
            {"apiKey": "k", "to": "447700900123", "message": "Hi £5 & 100% more", "reference": "r-1"}
        ).encode(),
        urlencode({"receipt": "http://127.0.0.1:6012/notifications/sms/firetext?token=a+b%"}).encode(),
        b"message=Hi+%C2%A35&to=+447700900123",
        "message=£5 raw+and%20quoted&from=GØVUK".encode(),
        b"message=%zz%4&to=%&from=%E2%82&x=%ff",
        b"message=\xff\xfeinvalid%C3\xa9%A9\xc3&reference=r",
        b"&&to=447700900123&&flag&=blank&message=&message=last&a=b=c",
        b"%6De%73sage=by+name&",
        b"",
    ],
)
def test_a_form_body_is_read_as_parse_qsl_reads_it(body: bytes) -> None:
    expected = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    assert form_fields(body) == expected


@pytest.mark.parametrize("as_json", [True, False])
@pytest.mark.parametrize(
    "reference", ["3fa85f64-5717-4562-b3fc-2c963f66afa6", "ref with spaces & a/slash+plus"]
)
def test_a_receipt_is_encoded_as_the_standard_library_encodes_it(as_json: bool, reference: str) -> None:
    body = {"status": "3", "CID": reference, "substatus": "2", "deliverytime": "2026-12-05 10:00:00"}
    content, content_type = encoded(OwedReceipt(reference, "http://receipts", body, as_json))
    if as_json:
        assert (content, content_type) == (
            json.dumps(body, separators=(",", ":")).encode(),
            b"application/json",
        )
    else:
        assert (content, content_type) == (urlencode(body).encode(), b"application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    "value",
    ["", "A_z.0~-9", "~tilde_dot.dash-", "3FA85F64", "ünïcode 📱", "tab\tnew\nline", "100%=sure?#",
     "a+b c", "2026-12-05 10:00:00", "café", "\x00", "-" * 300],
)  # fmt: skip
def test_a_form_receipt_is_encoded_as_urlencode_encodes_it_every_time(value: str) -> None:
    body = {"status": value, "reference": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "code": "000", value: value}
    for _ in range(2):  # the second time through what the first remembered
        content, _ = encoded(OwedReceipt("r", "http://receipts", body, False))
        assert content == urlencode(body).encode()
