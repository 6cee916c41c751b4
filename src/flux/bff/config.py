"""BFF-specific settings, read from ``FLUX_BFF_*`` environment variables.

Shared settings (Kafka, registry, Valkey URL, ports) stay in
:class:`flux.settings.Settings`; these tune the gateway itself.

Example:
    >>> BffSettings(cors_origins=["https://flux.example"]).cors_origins
    ['https://flux.example']
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from flux.bff.snapshot import Stream

__all__ = ["BffSettings"]


class BffSettings(BaseSettings):
    """Gateway tuning. Every field reads ``FLUX_BFF_<FIELD>`` (lists as JSON)."""

    model_config = SettingsConfigDict(env_prefix="FLUX_BFF_", frozen=True, extra="ignore")

    # --- security
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to connect; empty = same origin only; ['*'] = any.",
    )
    auth_token: SecretStr | None = Field(
        default=None, description="When set, clients must connect with auth {token: <this>}."
    )
    max_message_bytes: int = Field(default=16_384, ge=256, description="Largest inbound message.")
    # --- per-connection limits
    message_rate: float = Field(default=20.0, gt=0, description="Inbound messages per second.")
    message_burst: int = Field(default=40, ge=1)
    refresh_rate: float = Field(default=0.5, gt=0, description="Refresh requests per second.")
    refresh_burst: int = Field(default=3, ge=1)
    location_rate: float = Field(default=1.0, gt=0, description="locationUpdate per second.")
    location_burst: int = Field(default=5, ge=1)
    refresh_coalesce_seconds: float = Field(
        default=5.0, ge=0, description="One refresh command per domain per window, across clients."
    )
    ping_interval_seconds: int = Field(
        default=20, ge=1, description="Engine.IO heartbeat interval (whole seconds: Engine.IO truncates)."
    )
    ping_timeout_seconds: float = Field(default=20.0, gt=0, description="Missing pong after this = gone.")
    # --- fan-out
    fanout: Literal["prepared", "library"] = Field(
        default="prepared",
        description=(
            "prepared: one WebSocket frame per room emit written to every websocket client (ADR-017); "
            "library: python-socketio's own per-client queues and writer tasks (the benchmark's peer)."
        ),
    )
    client_queue_limit: int = Field(
        default=256, ge=4, description="Queued messages per polling client before the slow-client policy."
    )
    ticker_queue_limit: int = Field(
        default=16, ge=1, description="Ticker batches queued per polling client before the oldest is dropped."
    )
    client_buffer_bytes: int = Field(
        default=1 << 20, ge=4096, description="Unsent bytes a websocket client may have before it is cut off."
    )
    ticker_buffer_bytes: int = Field(
        default=1 << 14, ge=0, description="Unsent bytes beyond which ticker batches skip a websocket client."
    )
    ticker_max_age_ms: int = Field(
        default=2_000,
        ge=1,
        description="Ticker batches older than this when consumed are skipped (overload).",
    )
    gc_gen0_threshold: int = Field(
        default=50_000,
        ge=0,
        description="Allocations between young GC collections in `flux bff` (0 = Python's default 700).",
    )
    # --- cache
    valkey_timeout_seconds: float = Field(default=0.25, gt=0)
    valkey_key_prefix: str = "flux:bff:snapshot:"
    breaker_failures: int = Field(default=3, ge=1)
    breaker_reset_seconds: float = Field(default=5.0, gt=0)
    weather_ttl_seconds: int = Field(default=6 * 3600, ge=1)
    global_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    max_cached_snapshots: int = Field(default=20_000, ge=10)
    # --- contracts browser (flux.bff.contracts_api)
    registry_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, description="Budget of one registry call of the contracts browser."
    )
    registry_cache_seconds: float = Field(
        default=5.0, ge=0, le=300, description="How long the contracts browser reuses a registry answer."
    )
    registry_cache_entries: int = Field(
        default=512, ge=16, le=100_000, description="Registry answers the contracts browser keeps at most."
    )
    offsets_timeout_seconds: float = Field(
        default=3.0, gt=0, le=30, description="Budget of each Kafka request reading the topics' offsets."
    )
    offsets_min_interval_seconds: float = Field(
        default=1.0, ge=0, le=60, description="Kafka's offsets are read at most once per this long."
    )
    # --- capacity (flux.bff.admission)
    max_connections: int = Field(
        default=10_000, ge=1, description="Socket.IO connections this instance accepts; more get server_full."
    )
    max_connections_per_address: int = Field(
        default=200,
        ge=1,
        description="Connections one client address may hold; more get too_many_connections_from_address.",
    )
    address_limit_exempt: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description=(
            "Addresses or networks without a per-address limit (JSON list): by default this host's own "
            "loopback, which every local client shares; the total limit still applies."
        ),
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Peers (addresses or networks, JSON list) whose X-Forwarded-For names the client.",
    )
    ready_max_fraction: float = Field(
        default=0.9, gt=0, le=1, description="/ready is 503 while connections exceed this share of the limit."
    )
    # --- identity
    instance_id: str = Field(default="", description="Consumer group suffix; random when empty.")
    instance_name: str = Field(
        default="",
        pattern=r"^([a-z0-9][a-z0-9-]{0,31})?$",
        description="Name behind a balancer: prefixes session ids (sticky routing); empty = none.",
    )

    def ttl_seconds(self) -> dict[Stream, int]:
        """TTL of each cached stream in Valkey and in memory."""
        return {
            stream: self.weather_ttl_seconds if stream is Stream.WEATHER else self.global_ttl_seconds
            for stream in Stream
            if stream.cached
        }
