"""Entry point: ``notify-projector`` keeps the PostgreSQL views of the event log up to date."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, Received
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.settings import CommonSettings
from notify_projector.projection import project
from notify_projector.settings import ProjectorSettings


def build(settings: CommonSettings, _producer: EventProducer) -> ConsumerApp:
    engine = create_engine(settings, pool_size=2)

    async def handle(batch: Sequence[Received]) -> None:
        await project(engine, [r.event for r in batch])

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    return ConsumerApp(
        group=topics.GROUP_PROJECTOR,
        topics=topics.topics_read_by(topics.GROUP_PROJECTOR),
        handler=handle,
        ready=ready,
        on_stop=engine.dispose,
        max_records=2000,
    )


def main() -> int:
    return run_consumer("projector", ProjectorSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
