"""What the HTTP views answer from the results of every partition."""

from __future__ import annotations

from notify_analytics.results import encode_result
from notify_analytics.views import Results, service_days
from notify_analytics.windows import WindowKey, WindowStats, window_start

DAY = 86_400_000
NOW = 1_764_932_400_000  # 2025-12-05T11:00:00Z
TODAY = window_start("day", NOW)


def put(results: Results, start: int, service: str, channel: str, status: str, count: int, part: int) -> None:
    cell = WindowKey("day", start, service, channel, "mmg" if status != "created" else "none", status)
    results.put(f"{cell.encode()}|lifecycle|{part}".encode(), cell, WindowStats(count))


def test_a_services_last_days_add_up_its_partitions_by_channel_and_leave_out_older_days_and_other_services() -> (
    None
):
    results = Results()
    put(results, TODAY, "s1", "sms", "created", 5, part=0)
    put(results, TODAY, "s1", "sms", "created", 2, part=3)  # the same cell, counted by another partition
    put(results, TODAY - 6 * DAY, "s1", "sms", "delivered", 4, part=0)
    put(results, TODAY - DAY, "s1", "email", "created", 3, part=1)
    put(results, TODAY - DAY, "s1", "email", "permanent-failure", 1, part=1)
    put(results, TODAY - DAY, "s1", "email", "technical-failure", 1, part=2)
    put(results, TODAY - 7 * DAY, "s1", "sms", "created", 100, part=0)  # eight days ago
    put(results, TODAY, "s2", "sms", "created", 50, part=0)
    minute = WindowKey("minute", NOW - 60_000, "s1", "sms", "none", "created")
    results.put(f"{minute.encode()}|lifecycle|0".encode(), minute, WindowStats(9))

    found = service_days(results, "s1", days=7, now_ms=NOW)

    assert (found["from"], found["to"]) == ("2025-11-29", "2025-12-05")
    assert {ch: (c["requested"], c["delivered"], c["failed"]) for ch, c in found["channels"].items()} == {
        "sms": (7, 4, 0),
        "email": (3, 0, 2),
    }
    assert found["channels"]["email"]["failures_by_kind"] == {"permanent-failure": 1, "technical-failure": 1}
    assert (found["total"]["requested"], found["total"]["failed"]) == (10, 2)


def test_a_service_with_nothing_counted_has_empty_figures() -> None:
    found = service_days(Results(), "s1", days=1, now_ms=NOW)
    assert found["channels"] == {}
    assert (found["total"]["requested"], found["total"]["delivered"], found["total"]["failed"]) == (0, 0, 0)


def test_records_kept_encoded_are_decoded_when_asked_and_the_latest_record_of_a_key_wins() -> None:
    results = Results()
    cell = WindowKey("day", TODAY, "s1", "sms", "none", "created")
    key = f"{cell.encode()}|lifecycle|0".encode()
    results.put_encoded(key, encode_result(cell, WindowStats(4), "lifecycle", 0))
    results.put_encoded(b"broken|lifecycle|1", b"\xc3\x01not a record")
    assert service_days(results, "s1", days=1, now_ms=NOW)["total"]["requested"] == 4
    results.put_encoded(key, encode_result(cell, WindowStats(6), "lifecycle", 0))
    assert service_days(results, "s1", days=1, now_ms=NOW)["total"]["requested"] == 6
    results.delete(key)
    assert service_days(results, "s1", days=1, now_ms=NOW)["total"]["requested"] == 0
