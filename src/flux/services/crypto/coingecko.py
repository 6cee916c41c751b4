"""Top coins and movers from CoinGecko's ``/api/v3/coins/markets`` endpoint.

Example:
    >>> markets = CoinGeckoMarkets(base_url="https://api.coingecko.com")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

import httpx
from pydantic import SecretStr

from flux.resilience import UpstreamPolicy
from flux.services.crypto.model import Coin, MoverBoard, TopCoins, build_mover_board
from flux.services.simulation import utc_now
from flux.services.upstream_http import fetch_bytes
from flux.services.validation import FieldReader, decode_json

__all__ = ["CoinGeckoMarkets", "parse_coingecko_markets"]

LOG = logging.getLogger(__name__)

UPSTREAM: Final = "coingecko"
MAX_PER_PAGE: Final = 250
MAX_BODY_BYTES: Final = 1024 * 1024
MAX_PRICE: Final = 10**9
MAX_AMOUNT: Final = 10**16


def _parse_coin(read: FieldReader, item: Mapping[str, Any]) -> Coin:
    last_updated = read.optional_text(item, "last_updated", max_length=64)
    image = read.optional_text(item, "image", max_length=500)
    if image is not None and not image.startswith(("https://", "http://")):
        raise read.fail("image: not an http(s) URL")
    return Coin(
        coin_id=read.text(item, "id", max_length=100),
        symbol=read.text(item, "symbol", max_length=20).upper(),
        name=read.text(item, "name", max_length=100),
        rank=read.optional_integer(item, "market_cap_rank", minimum=1, maximum=1_000_000),
        price_usd=read.decimal(item, "current_price", minimum=0, maximum=MAX_PRICE),
        market_cap_usd=read.optional_decimal(item, "market_cap", minimum=0, maximum=MAX_AMOUNT),
        volume_24h_usd=read.optional_decimal(item, "total_volume", minimum=0, maximum=MAX_AMOUNT),
        change_pct_24h=read.optional_decimal(
            item, "price_change_percentage_24h", minimum=-100, maximum=100_000
        ),
        image_url=image,
        last_updated=None if last_updated is None else read.parse_timestamp("last_updated", last_updated),
    )


def parse_coingecko_markets(body: bytes) -> tuple[Coin, ...]:
    """Parse a ``/coins/markets`` response (a JSON array of coin objects).

    Fields CoinGecko documents as nullable (rank, market cap, volume, 24 h change, image,
    last_updated) may be null; every other field must be present and valid.

    Raises:
        UpstreamBadPayload: Not JSON, not an array, or an entry that breaks the rules above.
    """
    read = FieldReader(UPSTREAM)
    entries = read.items(decode_json(UPSTREAM, body), "response", max_items=MAX_PER_PAGE)
    coins = []
    for index, entry in enumerate(entries):
        coins.append(_parse_coin(read, read.mapping(entry, f"response[{index}]")))
    return tuple(coins)


class CoinGeckoMarkets:
    """The market-snapshot half of the live crypto provider.

    Args:
        base_url: Scheme and host (``UpstreamConfig.coingecko_url``).
        api_key: Optional demo API key, sent as the ``x-cg-demo-api-key`` header.
        client: Shared HTTP client; one is created (and closed by :meth:`aclose`) when omitted.
        policy: Resilience policy for this upstream.
        timeout_s: Per-request timeout of the client created here.
        universe_size: How many top coins movers are chosen from.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None = None,
        client: httpx.AsyncClient | None = None,
        policy: UpstreamPolicy | None = None,
        timeout_s: float = 10.0,
        universe_size: int = 100,
    ) -> None:
        if not 1 <= universe_size <= MAX_PER_PAGE:
            raise ValueError(f"universe_size must be in [1, {MAX_PER_PAGE}]")
        self._url = base_url.rstrip("/") + "/api/v3/coins/markets"
        self._api_key = api_key
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self.policy = policy or UpstreamPolicy(UPSTREAM, timeout_s=timeout_s)
        self.universe_size = universe_size

    async def top_coins(self, limit: int = 10) -> TopCoins:
        """The ``limit`` largest coins by market cap."""
        coins = await self._markets(max(1, min(limit, MAX_PER_PAGE)))
        return TopCoins(coins=coins[:limit], as_of=utc_now(), source=UPSTREAM)

    async def movers(self, limit: int = 5) -> MoverBoard:
        """Top 24 h gainers and losers among the ``universe_size`` largest coins."""
        coins = await self._markets(self.universe_size)
        return build_mover_board(coins, limit, utc_now(), UPSTREAM)

    async def _markets(self, per_page: int) -> tuple[Coin, ...]:
        params = {
            "vs_currency": "usd",
            "order": "market_cap_desc",
            "per_page": str(per_page),
            "page": "1",
            "sparkline": "false",
            "price_change_percentage": "24h",
        }
        headers = {"accept": "application/json"}
        if self._api_key is not None:
            headers["x-cg-demo-api-key"] = self._api_key.get_secret_value()

        async def fetch() -> tuple[Coin, ...]:
            body = await fetch_bytes(
                self._client, UPSTREAM, self._url, params=params, headers=headers, max_bytes=MAX_BODY_BYTES
            )
            return parse_coingecko_markets(body)

        return await self.policy.call(fetch)

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()
