"""Entry point: ``notify-projector`` keeps the PostgreSQL views of the event log up to date (and
runs the periodic lifecycle tasks); ``notify-projector rebuild`` rebuilds them from the topics and
swaps them for the live ones, after asking (or with ``--yes``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import make_url

from notify_common import metrics, topics
from notify_common.confirm import confirm
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, Received
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.settings import CommonSettings
from notify_projector.periodic import PeriodicTasks
from notify_projector.projection import project
from notify_projector.settings import ProjectorSettings


def build(settings: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(settings, ProjectorSettings)
    engine = create_engine(settings, pool_size=3, custom_plans=True)
    periodic = PeriodicTasks(engine, producer, settings)

    async def handle(batch: Sequence[Received]) -> None:
        await project(engine, [r.event for r in batch])
        metrics.projected([type(r.event).__name__ for r in batch])

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
        # A view half a second behind costs nobody (a GET straight after the 201 is answered from
        # the api-gateway's recent notifications): the broker gathers up to 1 MiB or waits 500 ms
        # before it answers, so each batch's transaction, fetch and offset commit serve hundreds of
        # events, and a notification's request and its send, a fraction of a second apart, mostly
        # land in the same batch and are written as one row version rather than two.
        fetch_min_bytes=1024 * 1024,
        fetch_max_wait_ms=500,
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="notify-projector",
        description="Keep the PostgreSQL views of the event log up to date (with no command), "
        "or rebuild them from the Kafka topics.",
    )
    sub = p.add_subparsers(dest="command", metavar="{rebuild}")
    rebuild = sub.add_parser(
        "rebuild",
        help="rebuild the views from the topics and swap them for the live ones",
        description="Replay every lifecycle topic from the start into shadow tables, then swap them "
        "for the live views (notifications, jobs, inbound texts, complaints, callback attempts, "
        "daily facts). The live tables are dropped after the swap. Asks for confirmation first.",
    )
    rebuild.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return p


def _where(settings: CommonSettings) -> str:
    url = make_url(settings.database_url.get_secret_value())
    prefix = settings.kafka_topic_prefix
    return f"database {url.database} on {url.host}:{url.port or 5432}, topics prefixed {prefix!r}"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = ProjectorSettings()
    if args.command == "rebuild":
        question = f"Replace the live views of {_where(settings)} with a rebuild from the topics?"
        if not confirm(question, assume_yes=args.yes):
            return 1
        from notify_projector.rebuild import main as rebuild_main

        return rebuild_main(settings)
    return run_consumer("projector", settings, build)


if __name__ == "__main__":
    raise SystemExit(main())
