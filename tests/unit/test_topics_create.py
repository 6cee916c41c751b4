"""``flux topics create`` fails fast and clearly when no broker answers."""

from __future__ import annotations

import pytest

from flux.cli.main import main
from flux.devstack.ports import free_port


def test_create_without_a_broker_exits_1_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens here
    monkeypatch.setenv("FLUX_KAFKA_BOOTSTRAP", bootstrap)

    assert main(["topics", "create", "--timeout", "2"]) == 1

    err = capsys.readouterr().err
    assert f"cannot create topics on Kafka at {bootstrap}" in err
    assert "FLUX_KAFKA_BOOTSTRAP" in err
