"""Every HTTP live adapter against the fake upstreams over loopback: data, and each failure path.

Each adapter is driven through the same scenarios: a good answer, a slow upstream (timeout), 429 with
Retry-After (honoured), 5xx (retried, then given up), malformed and truncated bodies, and the
circuit breaker opening so that further calls never reach the upstream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from flux.resilience import (
    UpstreamBadPayload,
    UpstreamPolicy,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamTruncated,
    UpstreamUnavailable,
)
from flux.services.crypto import CoinGeckoMarkets
from flux.services.news import FeedNewsProvider
from flux.services.stock import AlphaVantageStockProvider
from flux.services.weather import Location, OpenMeteoWeatherProvider
from flux.upstreams import DEFAULT_STOCKS_KEY, FakeUpstreams, FaultMode, FaultTarget

from .conftest import RecordingSleep, fast_policy

SHORT_TIMEOUT_S = 0.15
NORMAL_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Adapter:
    target: FaultTarget
    build: Callable[[FakeUpstreams, UpstreamPolicy, float], Any]
    call: Callable[[Any], Awaitable[Any]]


def _client(timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout_s)


ADAPTERS = {
    "open-meteo": Adapter(
        FaultTarget.WEATHER,
        lambda fake, policy, timeout_s: OpenMeteoWeatherProvider(
            base_url=fake.base_url, client=_client(timeout_s), policy=policy
        ),
        lambda p: p.current(Location("Delhi", 28.61, 77.2)),
    ),
    "coingecko": Adapter(
        FaultTarget.COINGECKO,
        lambda fake, policy, timeout_s: CoinGeckoMarkets(
            base_url=fake.base_url, client=_client(timeout_s), policy=policy
        ),
        lambda p: p.top_coins(10),
    ),
    "rss": Adapter(
        FaultTarget.NEWS,
        lambda fake, policy, timeout_s: FeedNewsProvider(
            feed_urls=fake.news_feed_urls[:1], client=_client(timeout_s), policy_factory=lambda _: policy
        ),
        lambda p: p.latest(10),
    ),
    "alphavantage": Adapter(
        FaultTarget.STOCKS,
        lambda fake, policy, timeout_s: AlphaVantageStockProvider(
            base_url=fake.base_url,
            api_key=SecretStr(DEFAULT_STOCKS_KEY),
            client=_client(timeout_s),
            policy=policy,
        ),
        lambda p: p.top_performers(5),
    ),
}

pytestmark = pytest.mark.parametrize("adapter", ADAPTERS.values(), ids=ADAPTERS.keys())


async def run(
    adapter: Adapter, fake: FakeUpstreams, policy: UpstreamPolicy, *, timeout_s: float = NORMAL_TIMEOUT_S
) -> Any:
    provider = adapter.build(fake, policy, timeout_s)
    try:
        return await adapter.call(provider)
    finally:
        await provider.aclose()


async def test_good_answer_parses(adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    result = await run(adapter, fake, fast_policy("up", sleep))
    assert result
    assert sleep.waits == []


async def test_slow_upstream_times_out(adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    fake.faults.inject(FaultMode.SLOW, target=adapter.target, delay_s=1.0)
    before = fake.world.hits[adapter.target.value]
    with pytest.raises(UpstreamTimeout):
        await run(adapter, fake, fast_policy("up", sleep, attempts=2), timeout_s=SHORT_TIMEOUT_S)
    # one retry; under heavy load a connect may time out before the server counts it
    assert 1 <= fake.world.hits[adapter.target.value] - before <= 2
    assert len(sleep.waits) == 1


async def test_one_slow_answer_is_retried(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    fake.faults.inject(FaultMode.SLOW, target=adapter.target, delay_s=1.0, count=1)
    assert await run(adapter, fake, fast_policy("up", sleep), timeout_s=SHORT_TIMEOUT_S)


async def test_429_retry_after_is_honoured(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    fake.faults.inject(FaultMode.RATE_LIMITED, target=adapter.target, count=1, retry_after_s=2)
    assert await run(adapter, fake, fast_policy("up", sleep))
    assert sleep.waits == [2.0]


async def test_429_with_a_wait_too_long_gives_up_at_once(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    fake.faults.inject(FaultMode.RATE_LIMITED, target=adapter.target, retry_after_s=300)
    with pytest.raises(UpstreamRateLimited) as info:
        await run(adapter, fake, fast_policy("up", sleep))
    assert info.value.retry_after_s == 300.0
    assert sleep.waits == []


async def test_5xx_is_retried_then_succeeds(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    fake.faults.inject(FaultMode.SERVER_ERROR, target=adapter.target, count=2)
    assert await run(adapter, fake, fast_policy("up", sleep, attempts=3))
    assert len(sleep.waits) == 2
    assert all(0 <= w <= 0.05 for w in sleep.waits)


async def test_persistent_5xx_gives_up(adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    fake.faults.inject(FaultMode.SERVER_ERROR, target=adapter.target, status=502)
    before = fake.world.hits[adapter.target.value]
    with pytest.raises(UpstreamServerError) as info:
        await run(adapter, fake, fast_policy("up", sleep, attempts=3))
    assert info.value.status == 502
    assert fake.world.hits[adapter.target.value] - before == 3


async def test_malformed_body_is_rejected_without_retry(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    fake.faults.inject(FaultMode.MALFORMED, target=adapter.target)
    before = fake.world.hits[adapter.target.value]
    with pytest.raises(UpstreamBadPayload) as info:
        await run(adapter, fake, fast_policy("up", sleep))
    assert not isinstance(info.value, UpstreamTruncated)
    assert fake.world.hits[adapter.target.value] - before == 1


async def test_truncated_body_is_detected_and_retried(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    fake.faults.inject(FaultMode.TRUNCATED, target=adapter.target)
    with pytest.raises(UpstreamTruncated):
        await run(adapter, fake, fast_policy("up", sleep, attempts=2))
    fake.faults.inject(FaultMode.TRUNCATED, target=adapter.target, count=1)
    assert await run(adapter, fake, fast_policy("up", sleep, attempts=2))


async def test_breaker_opens_and_stops_calling(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    fake.faults.inject(FaultMode.SERVER_ERROR, target=adapter.target)
    policy = fast_policy("up", sleep, attempts=1, threshold=2)
    provider = adapter.build(fake, policy, NORMAL_TIMEOUT_S)
    try:
        for _ in range(2):
            with pytest.raises(UpstreamServerError):
                await adapter.call(provider)
        before = fake.world.hits[adapter.target.value]
        with pytest.raises(UpstreamUnavailable):
            await adapter.call(provider)
        assert fake.world.hits[adapter.target.value] == before
    finally:
        await provider.aclose()


async def test_other_upstreams_faults_do_not_leak(
    adapter: Adapter, fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    other = next(t for t in FaultTarget if t not in (FaultTarget.ALL, adapter.target))
    fake.faults.inject(FaultMode.SERVER_ERROR, target=other)
    assert await run(adapter, fake, fast_policy("up", sleep, attempts=1))
