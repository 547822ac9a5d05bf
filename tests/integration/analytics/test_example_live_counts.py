"""examples/analytics/live_counts.py, the stand-alone consumer, counts events the test produces
on the real broker, with the schema files alone."""

from __future__ import annotations

import subprocess
import sys

from notify_common import topics
from notify_common.kafka import TopicNames
from notify_common.settings import CommonSettings
from tests.integration.analytics.conftest import lifecycle, minutes_ago, publish
from tests.support.env import ROOT

EXAMPLE = ROOT / "examples" / "analytics" / "live_counts.py"


def test_the_example_imports_nothing_of_the_platform() -> None:
    source = EXAMPLE.read_text(encoding="utf-8")
    assert "notify_common" not in source
    assert "notify_analytics" not in source


async def test_the_example_prints_per_minute_counts_by_channel_and_status(kafka: CommonSettings) -> None:
    at = minutes_ago(2)
    items = [
        *lifecycle("n1", "s1", at),
        *lifecycle("n2", "s1", at),
        *lifecycle("n3", "s1", at, fails=True, deliver_after=1),
    ]
    await publish(kafka, items)
    topic = TopicNames(kafka.kafka_topic_prefix).physical(topics.NOTIFICATION_STATUS)

    done = subprocess.run(  # noqa: ASYNC221 - the broker is not this event loop's
        [
            sys.executable,
            str(EXAMPLE),
            "--bootstrap",
            kafka.kafka_bootstrap_servers,
            "--topic",
            topic,
            "--schemas",
            str(ROOT / "schemas"),
            "--from-beginning",
            "--idle-exit",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    rows = {
        tuple(line.split()[1:3]): int(line.split()[3]) for line in done.stdout.splitlines() if line.strip()
    }
    assert rows == {("sms", "sending"): 3, ("-", "delivered"): 2, ("-", "permanent-failure"): 1}
    minutes = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    assert at.strftime("%Y-%m-%dT%H:%MZ") in minutes
