"""Live top performers from Alpha Vantage's ``TOP_GAINERS_LOSERS`` endpoint (keyed).

The key (``FLUX_STOCKS_API_KEY``) travels in the query string, as the API requires. It never appears
in Flux's logs or errors: the provider installs a filter on the ``httpx`` logger that masks it in
request log lines, and scrubs it from any upstream text it quotes.

Example:
    >>> from pydantic import SecretStr
    >>> provider = AlphaVantageStockProvider(base_url="https://www.alphavantage.co", api_key=SecretStr("k"))
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import SecretStr

from flux.resilience import UpstreamClientError, UpstreamPolicy, UpstreamRateLimited
from flux.services.stock.model import StockBoard, StockPerformer
from flux.services.upstream_http import fetch_bytes
from flux.services.validation import FieldReader, decode_json

__all__ = [
    "AlphaVantageStockProvider",
    "SecretMaskingFilter",
    "eastern_time_zone",
    "parse_top_gainers_losers",
]

LOG = logging.getLogger(__name__)

UPSTREAM: Final = "alphavantage"
MAX_BODY_BYTES: Final = 256 * 1024
MAX_ROWS: Final = 100
TICKER: Final = re.compile(r"^[A-Z0-9][A-Z0-9.\-+=^/]{0,14}$")
LISTS: Final = ("top_gainers", "top_losers", "most_actively_traded")
# Alpha Vantage answers quota problems with HTTP 200 and one of these keys.
NOTICE_KEYS: Final = ("Note", "Information")
QUOTA_WAIT_S: Final = 60.0
_RATE_WORDS: Final = re.compile(r"rate limit|frequency|per minute|per day|premium", re.IGNORECASE)


def eastern_time_zone() -> tzinfo:
    """US Eastern time, in which Alpha Vantage stamps ``last_updated``."""
    try:
        return ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:  # pragma: no cover - systems without tzdata
        return timezone(timedelta(hours=-5))


class SecretMaskingFilter(logging.Filter):
    """A logging filter that replaces a secret with ``***`` in every record it sees."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the secret in the formatted message (always keeps the record)."""
        if self._secret:
            message = record.getMessage()
            if self._secret in message:
                record.msg = message.replace(self._secret, "***")
                record.args = None
        return True


def _performer(read: FieldReader, row: Mapping[str, Any]) -> StockPerformer:
    ticker = read.text(row, "ticker", max_length=15).upper()
    if not TICKER.match(ticker):
        raise read.fail(f"ticker {ticker!r} is not a symbol")
    return StockPerformer(
        ticker=ticker,
        price=read.decimal(row, "price", minimum=0, maximum=10**7),
        change_amount=read.decimal(row, "change_amount", minimum=-(10**7), maximum=10**7),
        change_pct=read.decimal(row, "change_percentage", minimum=-100, maximum=10**6, suffix="%"),
        volume=read.integer(row, "volume", minimum=0, maximum=10**13),
    )


def _last_updated(read: FieldReader, root: Mapping[str, Any]) -> datetime:
    raw = read.text(root, "last_updated", max_length=64)
    stamp, _, zone = raw.rpartition(" ")
    try:
        naive = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise read.fail("last_updated: expected 'YYYY-MM-DD HH:MM:SS ZONE'") from exc
    if zone != "US/Eastern":
        raise read.fail(f"last_updated: unexpected zone {zone[:20]!r}")
    return naive.replace(tzinfo=eastern_time_zone()).astimezone(UTC)


def parse_top_gainers_losers(body: bytes, *, secret: str = "") -> StockBoard:
    """Parse a ``TOP_GAINERS_LOSERS`` response (numbers arrive as strings, percent with a ``%``).

    Args:
        body: The raw response.
        secret: Text to mask if the upstream quotes it back (the API key).

    Raises:
        UpstreamRateLimited: The API's quota notice (HTTP 200 with ``Note``/``Information``).
        UpstreamClientError: The API's ``Error Message`` (e.g. an invalid key).
        UpstreamBadPayload: Anything else that is not the documented shape.
    """
    read = FieldReader(UPSTREAM)
    root = read.mapping(decode_json(UPSTREAM, body), "response")

    def quoted(text: object) -> str:
        value = str(text)[:200]
        return value.replace(secret, "***") if secret else value

    if "Error Message" in root:
        raise UpstreamClientError(UPSTREAM, quoted(root["Error Message"]), status=400)
    for key in NOTICE_KEYS:
        if key in root and not any(name in root for name in LISTS):
            notice = quoted(root[key])
            if _RATE_WORDS.search(notice):
                raise UpstreamRateLimited(UPSTREAM, notice, retry_after_s=QUOTA_WAIT_S)
            raise UpstreamClientError(UPSTREAM, notice, status=400)
    boards = {
        name: tuple(
            _performer(read, read.mapping(row, f"{name}[{i}]"))
            for i, row in enumerate(read.items(read.present(root, name), name, max_items=MAX_ROWS))
        )
        for name in LISTS
    }
    return StockBoard(
        gainers=boards["top_gainers"],
        losers=boards["top_losers"],
        most_active=boards["most_actively_traded"],
        as_of=_last_updated(read, root),
        source=UPSTREAM,
    )


class AlphaVantageStockProvider:
    """A :class:`~flux.services.stock.provider.StockProvider` over Alpha Vantage.

    Args:
        base_url: Scheme and host (``UpstreamConfig.stocks_url``).
        api_key: The key (``UpstreamConfig.stocks_api_key``); never logged.
        client: Shared HTTP client; one is created (and closed by :meth:`aclose`) when omitted.
        policy: Resilience policy for this upstream.
        timeout_s: Per-request timeout of the client created here.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr,
        client: httpx.AsyncClient | None = None,
        policy: UpstreamPolicy | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        if not api_key.get_secret_value():
            raise ValueError("the stocks API key is empty (set FLUX_STOCKS_API_KEY)")
        self._url = base_url.rstrip("/") + "/query"
        self._api_key = api_key
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self.policy = policy or UpstreamPolicy(UPSTREAM, timeout_s=timeout_s)
        self._mask = SecretMaskingFilter(api_key.get_secret_value())
        logging.getLogger("httpx").addFilter(self._mask)

    async def top_performers(self, limit: int = 10) -> StockBoard:
        """Up to ``limit`` of each list of today's top gainers, losers and most active tickers."""
        secret = self._api_key.get_secret_value()
        params = {"function": "TOP_GAINERS_LOSERS", "apikey": secret}

        async def fetch() -> StockBoard:
            body = await fetch_bytes(
                self._client, UPSTREAM, self._url, params=params, max_bytes=MAX_BODY_BYTES
            )
            return parse_top_gainers_losers(body, secret=secret)

        board = await self.policy.call(fetch)
        return StockBoard(
            gainers=board.gainers[:limit],
            losers=board.losers[:limit],
            most_active=board.most_active[:limit],
            as_of=board.as_of,
            source=board.source,
        )

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it, and remove the log filter."""
        logging.getLogger("httpx").removeFilter(self._mask)
        if self._owns_client:
            await self._client.aclose()
