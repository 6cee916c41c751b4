"""``flux topics create`` against the real embedded Kafka: idempotent, and the broker matches the catalogue."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient

from flux.catalogue import load_catalogue
from flux.cli.main import main
from flux.devstack.stack import RunningStack
from flux.kafka.config import admin_config

pytestmark = pytest.mark.integration


def test_create_is_idempotent_and_topics_match_the_catalogue(
    stack: RunningStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLUX_KAFKA_BOOTSTRAP", stack.kafka_bootstrap)
    catalogue = load_catalogue()

    # The stack created the catalogue at start-up; running create again changes nothing.
    assert main(["topics", "create"]) == 0
    assert main(["topics", "create"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[-1]
        == f"0 created, {len(catalogue.topics)} already present ({len(catalogue.topics)} in the catalogue)"
    )

    metadata = AdminClient(admin_config(stack.settings)).list_topics(timeout=10)
    for spec in catalogue.topics:
        assert spec.name in metadata.topics, f"{spec.name} missing on the broker"
        assert len(metadata.topics[spec.name].partitions) == spec.partitions, spec.name
