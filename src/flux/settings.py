"""One typed settings object for every Flux component, read from ``FLUX_*`` environment variables.

Example:
    >>> from flux.settings import Settings
    >>> s = Settings(kafka_bootstrap="broker:9092")
    >>> s.kafka_client_config()["bootstrap.servers"]
    'broker:9092'

Production Kafka security (SASL/TLS) passes through untouched: every variable
``FLUX_KAFKA_OPT_<NAME>`` becomes the librdkafka property ``<name>`` with
underscores turned into dots, e.g. ``FLUX_KAFKA_OPT_SASL_MECHANISM=PLAIN``
→ ``sasl.mechanism=PLAIN``. Values are secrets-aware: ``repr`` never shows them.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["LogFormat", "ProviderMode", "Settings", "get_settings"]

KAFKA_OPT_PREFIX: Final = "FLUX_KAFKA_OPT_"


class ProviderMode(StrEnum):
    SIMULATED = "simulated"
    LIVE = "live"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Flux configuration. Every field reads ``FLUX_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="FLUX_", frozen=True, extra="ignore")

    # --- Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_options: dict[str, SecretStr] = Field(
        default_factory=lambda: _kafka_options_from_env(os.environ),
        description="Extra librdkafka properties (FLUX_KAFKA_OPT_*), e.g. SASL/TLS.",
    )
    # --- Schema Registry
    registry_url: str = "http://127.0.0.1:8081"
    registry_basic_auth: SecretStr | None = Field(default=None, description="user:password")
    # --- Valkey (optional accelerator; empty string disables it)
    valkey_url: str = "redis://127.0.0.1:6379/0"
    # --- Upstream data providers
    provider: ProviderMode = ProviderMode.SIMULATED
    sim_seed: int = 42
    # --- Embedded dev stack
    home: Path = Path(".flux")
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    registry_port: int = 8081
    registry_nodes: int = Field(
        default=1, ge=1, le=9, description="Registry nodes of the dev stack (one elected leader)."
    )
    valkey_port: int = 6379
    bff_port: int = 8000  # the public address: the balancer's when several instances run
    bff_instances: int = Field(
        default=1, ge=1, le=32, description="BFF instances of the dev stack; more than 1 runs nginx in front."
    )
    bff_instance_base_port: int = 8010  # with several instances, instance i listens on this plus i
    service_base_port: int = 8100  # weather +1, crypto +2, news +3, stock +4
    kafka_libs: Path | None = Field(
        default=None, description="Kafka jars cache (default .flux/cache/kafka-libs)"
    )
    kafka_heap: str = "768m"
    # --- Logging
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.JSON

    def kafka_client_config(self) -> dict[str, str]:
        """Base librdkafka configuration shared by every producer, consumer and admin client."""
        config = {"bootstrap.servers": self.kafka_bootstrap}
        config.update({k: v.get_secret_value() for k, v in self.kafka_options.items()})
        return config

    def registry_client_config(self) -> dict[str, str]:
        """Configuration for confluent-kafka's (Async)SchemaRegistryClient."""
        config = {"url": self.registry_url}
        if self.registry_basic_auth is not None:
            config["basic.auth.user.info"] = self.registry_basic_auth.get_secret_value()
        return config

    @property
    def valkey_enabled(self) -> bool:
        return bool(self.valkey_url.strip())


def _kafka_options_from_env(environ: os._Environ[str] | dict[str, str]) -> dict[str, SecretStr]:
    return {
        key[len(KAFKA_OPT_PREFIX) :].lower().replace("_", "."): SecretStr(value)
        for key, value in environ.items()
        if key.startswith(KAFKA_OPT_PREFIX) and len(key) > len(KAFKA_OPT_PREFIX)
    }


def get_settings() -> Settings:
    """Read settings from the environment now (no global cache: tests and CLIs set env vars)."""
    return Settings()
