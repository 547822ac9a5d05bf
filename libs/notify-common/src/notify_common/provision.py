"""Creates the declared topics (``notify_common.topics``) that do not exist yet, with their
partitions and configs, grows partition counts that are below the declaration, and sets the
declared configs (retention) on existing topics whose configs differ from the declaration, so a
shortened retention (personal data, docs/lifecycle.md) also reaches topics made before it.
Run as ``python -m notify_common.provision``; the local platform does so at start."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from notify_common.kafka import TopicNames, connection_options
from notify_common.logs import configure_logging
from notify_common.settings import CommonSettings
from notify_common.topics import TOPICS, Topic

log = logging.getLogger(__name__)


async def provision_topics(settings: CommonSettings) -> list[str]:
    """Make the cluster hold every declared topic; returns the names it created."""
    names = TopicNames(settings.kafka_topic_prefix)
    admin = AIOKafkaAdminClient(client_id="notify-provisioner", **connection_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = {names.physical(t.name): t for t in TOPICS}
        extra = durability_configs(settings)
        missing = [
            NewTopic(
                name=physical,
                num_partitions=t.partitions,
                replication_factor=settings.kafka_topic_replication_factor,
                topic_configs={**t.config(), **extra},
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
            await align_configs(admin, {p: wanted[p] for p in present}, extra)
        return [t.name for t in missing]
    finally:
        await admin.close()


def durability_configs(settings: CommonSettings) -> dict[str, str]:
    """Configs every topic gets from the deployment rather than its declaration."""
    if settings.kafka_topic_min_insync_replicas > settings.kafka_topic_replication_factor:
        raise ValueError(
            f"min.insync.replicas ({settings.kafka_topic_min_insync_replicas}) cannot exceed the "
            f"replication factor ({settings.kafka_topic_replication_factor})"
        )
    if settings.kafka_topic_min_insync_replicas > 1:
        return {"min.insync.replicas": str(settings.kafka_topic_min_insync_replicas)}
    return {}


# DescribeConfigs' config_source for a config set on the topic itself (not a broker default).
_TOPIC_CONFIG_SOURCE = 1


async def topic_configs(
    admin: AIOKafkaAdminClient, names: list[str]
) -> dict[str, dict[str, tuple[str, bool]]]:
    """Per topic: every config set on the topic itself, as (value, sensitive)."""
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for response in responses:
        for resource in response.to_object()["resources"]:
            if resource["error_code"] != 0:
                raise RuntimeError(
                    f"describe configs of {resource['resource_name']}: {resource['error_message']}"
                )
            out[resource["resource_name"]] = {
                entry["config_names"]: (entry["config_value"], entry["is_sensitive"])
                for entry in resource["config_entries"]
                if entry["config_source"] == _TOPIC_CONFIG_SOURCE
            }
    return out


async def align_configs(
    admin: AIOKafkaAdminClient, declared: dict[str, Topic], extra: dict[str, str] | None = None
) -> list[str]:
    """Set the declared configs on existing topics whose own configs differ; returns their names.

    AlterConfigs (aiokafka has no incremental variant) replaces every config set on the topic, so
    the topic's other configs (an operator's ``max.message.bytes``, say) are sent along unchanged."""
    if not declared:
        return []
    current = await topic_configs(admin, list(declared))
    changes: list[ConfigResource] = []
    for name, topic in declared.items():
        own = current.get(name, {})
        wanted = {**topic.config(), **(extra or {})}
        if all(own.get(key, ("", False))[0] == value for key, value in wanted.items()):
            continue
        if any(sensitive for _, sensitive in own.values()):
            log.warning("topic config not aligned: it has sensitive configs", extra={"topic": name})
            continue
        changes.append(
            ConfigResource(
                ConfigResourceType.TOPIC, name, configs={**{k: v for k, (v, _) in own.items()}, **wanted}
            )
        )
        log.info(
            "topic config aligned with the declaration",
            extra={
                "topic": name,
                "retention_ms": wanted["retention.ms"],
                "was": own.get("retention.ms", ("", 0))[0],
            },
        )
    if changes:
        for response in await admin.alter_configs(changes):
            for resource in response.to_object()["resources"]:
                if resource["error_code"] != 0:
                    raise RuntimeError(
                        f"alter configs of {resource['resource_name']}: {resource['error_message']}"
                    )
    return [c.name for c in changes]


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
