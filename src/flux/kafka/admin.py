"""Topic administration: create every catalogue topic, idempotently."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from flux.catalogue import TopicSpec, load_catalogue
from flux.kafka.config import admin_config
from flux.settings import Settings

__all__ = ["ensure_topics"]

LOG = logging.getLogger(__name__)


def ensure_topics(
    settings: Settings, topics: Iterable[TopicSpec] | None = None, *, timeout: float = 30.0
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Existing topics are left as they are (their partition count and config are
    not changed behind an operator's back).
    """
    admin = AdminClient(admin_config(settings))
    wanted = list(topics if topics is not None else load_catalogue().topics)
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [t for t in wanted if t.name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [
            NewTopic(
                t.name,
                num_partitions=t.partitions,
                replication_factor=t.replication_factor,
                config=t.broker_config(),
            )
            for t in missing
        ],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    created: list[str] = []
    for name, future in futures.items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            if exc.args and exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise
    LOG.info("created topics", extra={"topics": created})
    return created
