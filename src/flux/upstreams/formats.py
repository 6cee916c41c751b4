"""Renders simulated data in each real provider's documented wire format.

Open-Meteo forecast JSON, CoinGecko ``/coins/markets`` JSON, Coinbase Exchange feed messages,
RSS 2.0 and Atom 1.0 documents, and Alpha Vantage ``TOP_GAINERS_LOSERS`` JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any, Final
from xml.etree.ElementTree import Element, SubElement, tostring

from flux.services.crypto.model import Coin, Tick
from flux.services.news.model import Article
from flux.services.stock.live import eastern_time_zone
from flux.services.stock.model import StockBoard, StockPerformer
from flux.services.weather.model import WeatherReading

__all__ = [
    "OPEN_METEO_UNITS",
    "alpha_vantage_body",
    "atom_body",
    "coinbase_heartbeat",
    "coinbase_subscriptions",
    "coinbase_ticker",
    "coingecko_markets_body",
    "open_meteo_body",
    "rss_body",
]

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
OPEN_METEO_UNITS: Final = {
    "temperature_2m": "°C",
    "apparent_temperature": "°C",
    "relative_humidity_2m": "%",
    "wind_speed_10m": "km/h",
    "is_day": "",
    "weather_code": "wmo code",
}


def _number(value: Decimal | int | float | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) > 1000 else float(value)
    return value


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def open_meteo_body(reading: WeatherReading, variables: Sequence[str]) -> bytes:
    """An Open-Meteo ``/v1/forecast`` response with a ``current`` block of ``variables`` (GMT)."""
    observed = reading.observed_at.astimezone(UTC)
    slot = observed.replace(minute=observed.minute - observed.minute % 15, second=0, microsecond=0)
    values: dict[str, Any] = {
        "temperature_2m": reading.temperature_c,
        "apparent_temperature": reading.apparent_temperature_c,
        "relative_humidity_2m": reading.relative_humidity_pct,
        "wind_speed_10m": reading.wind_speed_kmh,
        "is_day": 1 if reading.is_day else 0,
        "weather_code": reading.weather_code,
    }
    current: dict[str, Any] = {"time": slot.strftime("%Y-%m-%dT%H:%M"), "interval": 900}
    units: dict[str, str] = {"time": "iso8601", "interval": "seconds"}
    for variable in variables:
        current[variable] = values[variable]
        units[variable] = OPEN_METEO_UNITS[variable]
    return _dumps(
        {
            "latitude": round(reading.location.latitude, 4),
            "longitude": round(reading.location.longitude, 4),
            "generationtime_ms": 0.04,
            "utc_offset_seconds": 0,
            "timezone": "GMT",
            "timezone_abbreviation": "GMT",
            "elevation": 50.0,
            "current_units": units,
            "current": current,
        }
    )


def _iso_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _market_entry(coin: Coin, now: datetime) -> dict[str, Any]:
    price = coin.price_usd
    change_pct = coin.change_pct_24h or Decimal(0)
    open_price = price / (1 + change_pct / 100) if change_pct > -100 else price
    market_cap = coin.market_cap_usd or Decimal(0)
    supply = market_cap / price if price else Decimal(0)
    return {
        "id": coin.coin_id,
        "symbol": coin.symbol.lower(),
        "name": coin.name,
        "image": f"https://assets.flux.invalid/coins/{coin.coin_id}.png",
        "current_price": _number(price),
        "market_cap": _number(coin.market_cap_usd),
        "market_cap_rank": coin.rank,
        "fully_diluted_valuation": _number(coin.market_cap_usd),
        "total_volume": _number(coin.volume_24h_usd),
        "high_24h": _number(max(price, open_price) * Decimal("1.01")),
        "low_24h": _number(min(price, open_price) * Decimal("0.99")),
        "price_change_24h": _number(price - open_price),
        "price_change_percentage_24h": _number(coin.change_pct_24h),
        "market_cap_change_24h": _number((price - open_price) * supply),
        "market_cap_change_percentage_24h": _number(coin.change_pct_24h),
        "circulating_supply": _number(supply.quantize(Decimal(1))),
        "total_supply": _number(supply.quantize(Decimal(1))),
        "max_supply": None,
        "ath": _number(price * Decimal("1.6")),
        "ath_change_percentage": -37.5,
        "ath_date": "2025-10-06T18:57:42.558Z",
        "atl": _number(price / 50),
        "atl_change_percentage": 4900.0,
        "atl_date": "2019-03-15T00:00:00.000Z",
        "roi": None,
        "last_updated": _iso_millis(coin.last_updated or now),
    }


def coingecko_markets_body(coins: Iterable[Coin], now: datetime) -> bytes:
    """A CoinGecko ``/api/v3/coins/markets`` response (a JSON array)."""
    return _dumps([_market_entry(coin, now) for coin in coins])


def _micros(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def coinbase_ticker(tick: Tick) -> str:
    """A Coinbase Exchange ``ticker`` message."""
    open_24h = tick.open_24h or tick.price
    return json.dumps(
        {
            "type": "ticker",
            "sequence": tick.sequence,
            "product_id": tick.product_id,
            "price": str(tick.price),
            "open_24h": str(open_24h),
            "volume_24h": str(tick.volume_24h),
            "low_24h": str(min(tick.price, open_24h)),
            "high_24h": str(max(tick.price, open_24h)),
            "volume_30d": str(tick.volume_24h * 30),
            "best_bid": str(tick.best_bid),
            "best_bid_size": "0.41000000",
            "best_ask": str(tick.best_ask),
            "best_ask_size": "0.27000000",
            "side": "buy" if tick.sequence % 2 else "sell",
            "time": _micros(tick.time),
            "trade_id": tick.trade_id,
            "last_size": "0.00120000",
        }
    )


def coinbase_heartbeat(product_id: str, sequence: int, last_trade_id: int, now: datetime) -> str:
    """A Coinbase Exchange ``heartbeat`` message."""
    return json.dumps(
        {
            "type": "heartbeat",
            "sequence": sequence,
            "last_trade_id": last_trade_id,
            "product_id": product_id,
            "time": _micros(now),
        }
    )


def coinbase_subscriptions(product_ids: Sequence[str]) -> str:
    """A Coinbase Exchange ``subscriptions`` confirmation for ticker and heartbeat."""
    return json.dumps(
        {
            "type": "subscriptions",
            "channels": [
                {"name": "ticker", "product_ids": list(product_ids), "account_ids": None},
                {"name": "heartbeat", "product_ids": list(product_ids), "account_ids": None},
            ],
        }
    )


def rss_body(title: str, link: str, articles: Iterable[Article]) -> bytes:
    """An RSS 2.0 document."""
    rss = Element("rss", {"version": "2.0"})
    channel = SubElement(rss, "channel")
    SubElement(channel, "title").text = title
    SubElement(channel, "link").text = link
    SubElement(channel, "description").text = f"{title} (simulated)"
    for article in articles:
        item = SubElement(channel, "item")
        SubElement(item, "title").text = article.title
        SubElement(item, "link").text = article.url
        SubElement(item, "guid", {"isPermaLink": "true"}).text = article.url
        SubElement(item, "description").text = f"<p>{article.summary}</p>"
        if article.published_at is not None:
            SubElement(item, "pubDate").text = format_datetime(
                article.published_at.astimezone(UTC), usegmt=True
            )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + _serialize(rss)


def atom_body(title: str, link: str, articles: Iterable[Article]) -> bytes:
    """An Atom 1.0 document."""
    feed = Element("feed", {"xmlns": ATOM_NS})
    SubElement(feed, "title").text = title
    SubElement(feed, "id").text = link
    SubElement(feed, "link", {"href": link, "rel": "self"})
    SubElement(feed, "updated").text = datetime.now(UTC).isoformat(timespec="seconds")
    for article in articles:
        entry = SubElement(feed, "entry")
        SubElement(entry, "title").text = article.title
        SubElement(entry, "link", {"href": article.url, "rel": "alternate"})
        SubElement(entry, "id").text = f"urn:flux:{article.article_id}"
        stamp = (article.published_at or datetime.now(UTC)).isoformat(timespec="seconds")
        SubElement(entry, "published").text = stamp
        SubElement(entry, "updated").text = stamp
        SubElement(entry, "summary").text = article.summary
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + _serialize(feed)


def _serialize(root: Element) -> bytes:
    data: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return data


def _av_row(row: StockPerformer) -> dict[str, str]:
    return {
        "ticker": row.ticker,
        "price": f"{row.price.normalize():f}",
        "change_amount": f"{row.change_amount.normalize():f}",
        "change_percentage": f"{row.change_pct:.4f}%",
        "volume": str(row.volume),
    }


def alpha_vantage_body(board: StockBoard) -> bytes:
    """An Alpha Vantage ``TOP_GAINERS_LOSERS`` response (numbers as strings, as the API sends them)."""
    eastern = board.as_of.astimezone(eastern_time_zone())
    return _dumps(
        {
            "metadata": "Top gainers, losers, and most actively traded US tickers",
            "last_updated": eastern.strftime("%Y-%m-%d %H:%M:%S") + " US/Eastern",
            "top_gainers": [_av_row(r) for r in board.gainers],
            "top_losers": [_av_row(r) for r in board.losers],
            "most_actively_traded": [_av_row(r) for r in board.most_active],
        }
    )
