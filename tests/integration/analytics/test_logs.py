"""An analytics worker logs like every other service: one JSON object per line (faust's own lines
included, and no banner), with no recipient or message content of the events it counts."""

from __future__ import annotations

import json
from pathlib import Path

from notify_common.settings import CommonSettings
from tests.integration.analytics.conftest import Worker, lifecycle, minutes_ago, publish, wait_for_count


async def test_every_line_a_worker_writes_is_json_and_none_holds_personal_data(
    kafka: CommonSettings, workers: list[Worker], tmp_path: Path
) -> None:
    log = tmp_path / "analytics.log"
    worker = Worker(kafka, log, env={"NOTIFY_LOG_LEVEL": "INFO"}).start()
    workers.append(worker)
    await worker.wait_ready()
    items = [*lifecycle("n1", "s1", minutes_ago(2)), *lifecycle("n2", "s1", minutes_ago(2), channel="email")]
    await publish(kafka, items)
    await wait_for_count(kafka, "minute", len(items))
    worker.stop()

    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    not_json = []
    docs = []
    for line in lines:
        try:
            docs.append(json.loads(line))
        except ValueError:
            not_json.append(line)
    assert not_json == []
    assert {d["service"] for d in docs} == {"analytics"}
    assert any(d["logger"].startswith("faust.") for d in docs)  # faust's own lines, as JSON
    text = log.read_text(encoding="utf-8")
    for personal in ("+447700900000", "447700900000", "a@example.com"):
        assert personal not in text
