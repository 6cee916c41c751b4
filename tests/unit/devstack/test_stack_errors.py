"""The dev stack fails with clear, actionable errors instead of hanging."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from flux.devstack.errors import DevStackError
from flux.devstack.kafka import KafkaNode
from flux.devstack.kafka_jars import KafkaJars, kafka_version, require_java
from flux.devstack.ports import ensure_port_free, free_port
from flux.devstack.process import ManagedProcess


def test_taken_port_names_the_setting_to_change() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(DevStackError, match=rf"port {port} .* in use.*FLUX_KAFKA_PORT"):
            ensure_port_free(port, "kafka", "FLUX_KAFKA_PORT")


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(DevStackError, match=r"Java 17\+ is required"):
        require_java()


def test_missing_maven_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(DevStackError, match=r"Maven \(`mvn`\) is required"):
        KafkaJars(tmp_path).fetch()


def test_pom_pins_a_kafka_version() -> None:
    assert kafka_version().startswith("4.")


def _node(home: Path) -> KafkaNode:
    return KafkaNode(home, free_port(), free_port(), KafkaJars(home / "jars"))


def test_data_without_meta_properties_is_reported_as_damaged(tmp_path: Path) -> None:
    data = tmp_path / "kafka" / "data"
    data.mkdir(parents=True)
    (data / "__cluster_metadata-0").mkdir()
    with pytest.raises(DevStackError, match="flux dev reset"):
        _node(tmp_path).prepare()


def test_damaged_meta_properties_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "kafka" / "data"
    data.mkdir(parents=True)
    (data / "meta.properties").write_text("garbage\n")
    with pytest.raises(DevStackError, match=r"damaged.*flux dev reset"):
        _node(tmp_path).prepare()


def test_managed_process_stops_by_pid_file_from_another_handle(tmp_path: Path) -> None:
    first = ManagedProcess("sleeper", tmp_path / "run", tmp_path / "logs")
    pid = first.start(["sleep", "60"])
    # A second handle (another `flux` invocation) knows the process only by its PID file.
    second = ManagedProcess("sleeper", tmp_path / "run", tmp_path / "logs")
    assert second.pid() == pid
    assert second.stop(timeout=5)
    assert first.exit_code() is not None
    assert not second.alive()
    assert not second.pid_path.exists()


def test_process_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    proc = ManagedProcess("stubborn", tmp_path / "run", tmp_path / "logs")
    proc.start(["bash", "-c", "trap '' TERM; echo ready; sleep 60"])
    assert proc.stop(timeout=0.5)
    assert not proc.alive()
