"""Creates the declared topics (``notify_common.topics``) that do not exist yet, with their
partitions and configs, and grows partition counts that are below the declaration.
Run as ``python -m notify_common.provision``; the local platform does so at start."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic

from notify_common.kafka import TopicNames, connection_options
from notify_common.logs import configure_logging
from notify_common.settings import CommonSettings
from notify_common.topics import TOPICS

log = logging.getLogger(__name__)


async def provision_topics(settings: CommonSettings) -> list[str]:
    """Make the cluster hold every declared topic; returns the names it created."""
    names = TopicNames(settings.kafka_topic_prefix)
    admin = AIOKafkaAdminClient(client_id="notify-provisioner", **connection_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = {names.physical(t.name): t for t in TOPICS}
        missing = [
            NewTopic(
                name=physical,
                num_partitions=t.partitions,
                replication_factor=settings.kafka_topic_replication_factor,
                topic_configs=t.config(),
            )
            for physical, t in wanted.items()
            if physical not in existing
        ]
        if missing:
            await admin.create_topics(missing)
            await _wait_for_leaders(admin, [t.name for t in missing])
        present = [p for p in wanted if p in existing]
        if present:
            described = await admin.describe_topics(present)
            grow = {
                d["topic"]: NewPartitions(total_count=wanted[d["topic"]].partitions)
                for d in described
                if len(d["partitions"]) < wanted[d["topic"]].partitions
            }
            if grow:
                await admin.create_partitions(grow)
        return [t.name for t in missing]
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str], limit_s: float = 30.0) -> None:
    """New topics refuse writes until each partition has a leader; wait for that."""
    async with asyncio.timeout(limit_s):
        while True:
            described = await admin.describe_topics(names)
            if all(
                d["error_code"] == 0 and d["partitions"] and all(p["leader"] >= 0 for p in d["partitions"])
                for d in described
            ):
                return
            await asyncio.sleep(0.1)


def main() -> int:
    settings = CommonSettings()
    configure_logging("provisioner", settings.log_level)
    created = asyncio.run(provision_topics(settings))
    log.info("topics provisioned", extra={"topics_created": len(created), "topics_declared": len(TOPICS)})
    print(f"topics: {len(TOPICS)} declared, {len(created)} created")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
