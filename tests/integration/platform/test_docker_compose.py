"""docker-compose.yml is valid; with a Docker engine, the production images run the platform."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0
    ):
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def _engine_available() -> bool:
    docker = shutil.which("docker")
    return bool(docker) and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0


def test_compose_file_is_valid() -> None:
    compose = _compose_command()
    if compose is None:
        pytest.skip("no docker compose client on this machine (scripts/install-system-deps.sh installs one)")
    result = subprocess.run(
        [*compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    services = resolved["services"]
    for name in (
        "kafka",
        "schema-registry",
        "valkey",
        "bff",
        "weather-service",
        "crypto-service",
        "news-service",
        "stock-service",
    ):
        assert name in services, name
        assert "healthcheck" in services[name], name
    assert services["schema-registry"]["image"].startswith("confluentinc/cp-schema-registry")
    assert services["kafka"]["image"].startswith("apache/kafka")


@pytest.mark.docker
def test_confluent_stack_in_containers_serves_the_registry_api() -> None:
    if not _engine_available():
        pytest.skip("no Docker engine on this machine (the docker CLI is present, but `docker info` fails)")
    from testcontainers.compose import DockerCompose

    with DockerCompose(
        str(ROOT), compose_file_name="docker-compose.yml", services=["kafka", "schema-registry"], wait=True
    ) as compose:
        url = compose.get_service_host_and_port("schema-registry", 8081)
        import httpx

        response = httpx.get(f"http://{url[0]}:{url[1]}/subjects", timeout=10)
        assert response.status_code == 200
