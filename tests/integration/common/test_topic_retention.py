"""Provisioning brings EXISTING topics to the declared retention (the personal-data topics were
once kept forever), against the real broker, and keeps the other configs set on a topic."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from notify_common import topics
from notify_common.kafka import connection_options
from notify_common.provision import align_configs, provision_topics, topic_configs
from notify_common.settings import CommonSettings
from tests.support.lifecycle import eventually


async def test_provisioning_sets_the_declared_retention_on_existing_topics_and_keeps_their_other_configs(
    kafka: CommonSettings,
) -> None:
    prefix = kafka.kafka_topic_prefix
    status, inbound = prefix + topics.NOTIFICATION_STATUS, prefix + topics.INBOUND_SMS
    admin = AIOKafkaAdminClient(**connection_options(kafka))
    await admin.start()
    try:
        # As made under the old declaration (kept forever), with an operator's own setting.
        await admin.alter_configs([
            ConfigResource(ConfigResourceType.TOPIC, status,
                           configs={"retention.ms": "-1", "cleanup.policy": "delete", "max.message.bytes": "2000000"}),
            ConfigResource(ConfigResourceType.TOPIC, inbound, configs={"retention.ms": "-1"}),
        ])  # fmt: skip

        async def kept_forever() -> bool:
            configs = await topic_configs(admin, [status, inbound])
            return all(configs[name]["retention.ms"][0] == "-1" for name in (status, inbound))

        await eventually(kept_forever)  # configs apply asynchronously

        assert await provision_topics(kafka) == []  # nothing created: the topics exist

        every = [prefix + t.name for t in topics.TOPICS]
        declared = {prefix + t.name: str(t.retention_ms) for t in topics.TOPICS}

        async def all_declared() -> bool:
            configs = await topic_configs(admin, every)
            return {name: configs[name]["retention.ms"][0] for name in every} == declared

        await eventually(all_declared)
        configs = await topic_configs(admin, every)
        assert configs[status]["retention.ms"][0] == str(92 * topics.DAY_MS)
        assert configs[inbound]["cleanup.policy"][0] == "delete"
        assert configs[status]["max.message.bytes"][0] == "2000000"
        # and once aligned, nothing is altered again
        assert await align_configs(admin, {prefix + t.name: t for t in topics.TOPICS}) == []
    finally:
        await admin.close()
