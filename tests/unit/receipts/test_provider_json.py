"""The provider routes parse JSON bodies with orjson where it can, and with the standard library
where it cannot: every body parses to what ``json.loads`` gave, or is refused as it refused it."""

from __future__ import annotations

import json

import pytest

from notify_receipts.app import _loads

BODIES = [
    b'{"CID": "0b6f6a1e-7c1d-4d38-9f3b-2f5d8c1a9e00", "status": "3", "substatus": "2"}',
    b'{"data": {"jobId": "x", "jobStatus": "DESPATCHED"}}',
    b'{"references": ["a", "b"]}',
    b'{"CID": 1, "CID": 2, "status": 3.25}',  # the last of a repeated name
    '{"MSISDN": "447700900123", "Message": "ünïcode 📱"}'.encode(),
    b'\xef\xbb\xbf{"CID": "with a UTF-8 byte order mark"}',
    '{"CID": "in UTF-16"}'.encode("utf-16"),
    b'{"CID": NaN, "status": Infinity}',
    b'{"CID": 123456789012345678901234567890}',
    b'{"CID": -9223372036854775809, "status": 18446744073709551616}',
    b'{"CID": 18446744073709551615, "status": 1e400}',
    b'{"status": 1.5e-400, "substatus": -0.0}',
    b'{"CID": "\\ud800 a lone surrogate"}',
    b"[1, 2, 3]",
    b"",
    b"{",
    b'{"CID": "x"} trailing',
    b"\xff\xfe\x00",
    b"not json",
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_parses_as_the_standard_library_parses_it(body: bytes) -> None:
    try:
        expected = json.loads(body)
    except ValueError as refused:
        with pytest.raises(type(refused)):
            _loads(body)
        return
    # repr: NaN is not equal to itself.
    assert repr(_loads(body)) == repr(expected)
