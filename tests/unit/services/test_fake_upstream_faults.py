"""The fake upstreams' fault control: modes, targets, expiry by time and by count, request parsing."""

import pytest

from flux.upstreams import FaultController, FaultMode, FaultTarget
from flux.upstreams.fault_control import parse_fault_request


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_fault_expires_after_its_duration() -> None:
    clock = Clock()
    faults = FaultController(clock)
    faults.inject(FaultMode.SERVER_ERROR, duration_s=5)
    assert faults.take(FaultTarget.WEATHER) is not None
    clock.now = 4.9
    assert faults.peek(FaultTarget.NEWS) is not None
    clock.now = 5.0
    assert faults.peek(FaultTarget.NEWS) is None
    assert faults.describe() == {"mode": "none", "served": {}}


def test_fault_with_count_ends_after_that_many_requests() -> None:
    faults = FaultController()
    faults.inject(FaultMode.RATE_LIMITED, count=2, retry_after_s=3)
    assert faults.take(FaultTarget.STOCKS) is not None
    assert faults.peek(FaultTarget.STOCKS) is not None  # peeking does not consume
    assert faults.take(FaultTarget.STOCKS) is not None
    assert faults.take(FaultTarget.STOCKS) is None


def test_targeted_fault_spares_other_upstreams() -> None:
    faults = FaultController()
    faults.inject(FaultMode.MALFORMED, target=FaultTarget.COINGECKO)
    assert faults.take(FaultTarget.WEATHER) is None
    fault = faults.take(FaultTarget.COINGECKO)
    assert fault is not None
    assert fault.mode is FaultMode.MALFORMED


def test_none_clears_and_listeners_hear_injections() -> None:
    heard: list[FaultMode] = []
    faults = FaultController()
    faults.add_listener(lambda fault: heard.append(fault.mode))
    faults.inject(FaultMode.DROP_WS)
    faults.inject(FaultMode.NONE)
    assert heard == [FaultMode.DROP_WS]
    assert faults.current() is None


def test_parse_fault_request() -> None:
    assert parse_fault_request({"mode": "slow", "duration_s": 2, "delay_s": 0.5, "target": "news"}) == {
        "mode": FaultMode.SLOW,
        "duration_s": 2.0,
        "delay_s": 0.5,
        "target": FaultTarget.NEWS,
    }
    for bad in ({"mode": "explode"}, {"mode": "5xx", "count": "2"}, {"mode": "5xx", "colour": 1}, {}):
        with pytest.raises(ValueError):  # noqa: PT011 - several distinct messages
            parse_fault_request(bad)


def test_invalid_injections_are_refused() -> None:
    faults = FaultController()
    with pytest.raises(ValueError, match="duration_s"):
        faults.inject(FaultMode.SLOW, duration_s=0)
    with pytest.raises(ValueError, match="status"):
        faults.inject(FaultMode.SERVER_ERROR, status=404)


async def test_the_control_api_counts_the_responses_each_fault_shaped() -> None:
    import httpx

    from flux.upstreams import FakeUpstreams

    async with FakeUpstreams(seed=5) as server, httpx.AsyncClient() as http:
        weather = f"{server.base_url}/v1/forecast?latitude=47.37&longitude=8.54&current=temperature_2m"
        markets = f"{server.base_url}/api/v3/coins/markets?vs_currency=usd"
        await http.post(server.control_url, json={"mode": "out_of_range", "target": "all"})
        for _ in range(3):
            await http.get(weather)
        await http.get(markets)  # no out-of-range body for markets: answered normally, not counted
        await http.delete(server.control_url)
        await http.get(weather)  # no fault: not counted
        served = (await http.get(server.control_url)).json()["served"]
    assert served == {"out_of_range": 3}
