"""Entry point: ``notify-projector`` keeps the PostgreSQL views of the event log up to date (and
runs the periodic lifecycle tasks); ``notify-projector rebuild`` rebuilds them from the topics."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sqlalchemy import text

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, Received
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.settings import CommonSettings
from notify_projector.periodic import PeriodicTasks
from notify_projector.projection import project
from notify_projector.settings import ProjectorSettings


def build(settings: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(settings, ProjectorSettings)
    engine = create_engine(settings, pool_size=3)
    periodic = PeriodicTasks(engine, producer, settings)

    async def handle(batch: Sequence[Received]) -> None:
        await project(engine, [r.event for r in batch])

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def stop() -> None:
        await periodic.stop()
        await engine.dispose()

    return ConsumerApp(
        group=topics.GROUP_PROJECTOR,
        topics=topics.topics_read_by(topics.GROUP_PROJECTOR),
        handler=handle,
        ready=ready,
        on_start=periodic.start,
        on_stop=stop,
        max_records=5000,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = ProjectorSettings()
    if args[:1] == ["rebuild"]:
        from notify_projector.rebuild import main as rebuild_main

        return rebuild_main(settings)
    if args:
        print("usage: notify-projector [rebuild]", file=sys.stderr)
        return 2
    return run_consumer("projector", settings, build)


if __name__ == "__main__":
    raise SystemExit(main())
