"""Stocks: Alpha Vantage TOP_GAINERS_LOSERS parsing, quota notices, key masking, and simulation."""

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from flux.resilience import UpstreamBadPayload, UpstreamClientError, UpstreamRateLimited
from flux.services.stock import AlphaVantageStockProvider, SimulatedStockProvider
from flux.services.stock.live import SecretMaskingFilter, parse_top_gainers_losers


def row(ticker: str, pct: str = "57.6923%", **overrides: str) -> dict[str, str]:
    data = {
        "ticker": ticker,
        "price": "1.23",
        "change_amount": "0.45",
        "change_percentage": pct,
        "volume": "123456",
    }
    data.update(overrides)
    return data


def board(**overrides: Any) -> bytes:
    body: dict[str, Any] = {
        "metadata": "Top gainers, losers, and most actively traded US tickers",
        "last_updated": "2026-11-20 16:15:59 US/Eastern",
        "top_gainers": [row("ABCD"), row("XYZW+")],
        "top_losers": [row("LOSS", "-35.1%", change_amount="-0.66")],
        "most_actively_traded": [row("BRK.B", "0.5%")],
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_parses_documented_board() -> None:
    parsed = parse_top_gainers_losers(board())
    assert [p.ticker for p in parsed.gainers] == ["ABCD", "XYZW+"]
    assert parsed.gainers[0].change_pct == Decimal("57.6923")
    assert parsed.losers[0].change_amount == Decimal("-0.66")
    assert parsed.most_active[0].ticker == "BRK.B"
    assert parsed.gainers[0].volume == 123456
    # 16:15:59 Eastern standard time is 21:15:59 UTC
    assert parsed.as_of == datetime(2026, 11, 20, 21, 15, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    "override",
    [
        {"top_gainers": [row("ABCD", price="free")]},
        {"top_gainers": [row("ABCD", pct="-120%")]},
        {"top_gainers": [row("lower case!")]},
        {"top_gainers": [row("ABCD", volume="1.5")]},
        {"top_losers": "none"},
        {"last_updated": "yesterday"},
        {"last_updated": "2026-11-20 16:15:59 Europe/Paris"},
        {"top_gainers": [row("A")] * 101},
    ],
)
def test_rejects_invalid_boards(override: dict[str, Any]) -> None:
    with pytest.raises(UpstreamBadPayload):
        parse_top_gainers_losers(board(**override))


def test_missing_list_is_rejected() -> None:
    body = json.loads(board())
    del body["most_actively_traded"]
    with pytest.raises(UpstreamBadPayload, match="most_actively_traded"):
        parse_top_gainers_losers(json.dumps(body).encode())


def test_quota_notice_is_rate_limited_and_error_message_is_client_error() -> None:
    notice = {"Information": "Our standard API rate limit is 25 requests per day."}
    with pytest.raises(UpstreamRateLimited) as info:
        parse_top_gainers_losers(json.dumps(notice).encode())
    assert info.value.retry_after_s == 60.0
    with pytest.raises(UpstreamClientError):
        parse_top_gainers_losers(b'{"Error Message": "Invalid API call."}')


def test_key_echoed_by_the_upstream_is_masked() -> None:
    body = json.dumps({"Error Message": "apikey s3cr3t-KEY is invalid"}).encode()
    with pytest.raises(UpstreamClientError) as info:
        parse_top_gainers_losers(body, secret="s3cr3t-KEY")
    assert "s3cr3t-KEY" not in str(info.value)


async def test_masking_filter_hides_the_key_in_httpx_logs(caplog: pytest.LogCaptureFixture) -> None:
    provider = AlphaVantageStockProvider(base_url="http://127.0.0.1:9", api_key=SecretStr("s3cr3t-KEY"))
    httpx_log = logging.getLogger("httpx")
    with caplog.at_level(logging.INFO, logger="httpx"):
        httpx_log.info('HTTP Request: GET %s "%s"', "http://h/query?apikey=s3cr3t-KEY", "200 OK")
    assert "s3cr3t-KEY" not in caplog.text
    assert "apikey=***" in caplog.text
    assert "s3cr3t-KEY" not in repr(provider.__dict__)
    await provider.aclose()
    assert not [f for f in httpx_log.filters if isinstance(f, SecretMaskingFilter)]


def test_masking_filter_leaves_other_records_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert SecretMaskingFilter("k3y").filter(record)
    assert record.getMessage() == "hello world"


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="FLUX_STOCKS_API_KEY"):
        AlphaVantageStockProvider(base_url="http://x", api_key=SecretStr(""))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_simulated_board_is_deterministic_and_ranked() -> None:
    first = await SimulatedStockProvider(5, clock=Clock()).top_performers(10)
    again = await SimulatedStockProvider(5, clock=Clock()).top_performers(10)
    assert first == again
    assert len(first.gainers) == 10
    changes = [p.change_pct for p in first.gainers]
    assert changes == sorted(changes, reverse=True)
    assert all(p.change_pct < 0 for p in first.losers)
    volumes = [p.volume for p in first.most_active]
    assert volumes == sorted(volumes, reverse=True)
    for p in first.gainers:
        assert p.price > 0
        assert p.change_amount > 0


async def test_simulated_prices_move_with_time() -> None:
    clock = Clock()
    provider = SimulatedStockProvider(5, clock=clock)
    before = {p.ticker: p.price for p in (await provider.top_performers(40)).most_active}
    clock.now += timedelta(minutes=30)
    after = {p.ticker: p.price for p in (await provider.top_performers(40)).most_active}
    assert sum(before[t] != after[t] for t in before) > 30
