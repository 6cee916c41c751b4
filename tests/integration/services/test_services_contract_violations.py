"""On the real stack: the weather service given out-of-range upstream data produces nothing to its
topic; the event lands in the dead-letter topic with the rule's name, the violation metric moves,
and the service carries on."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from flux.contracts import WeatherStatus, WeatherUpdated
from flux.devstack.stack import RunningStack
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.services.weather import service as weather_service
from flux.settings import ProviderMode
from flux.upstreams import FakeUpstreams
from flux.upstreams.fault_control import FaultMode, FaultTarget

from .conftest import TopicReader, fetch_weather, in_process, send_commands

pytestmark = pytest.mark.integration

RULE = "temperatureInRange"
_METRIC = re.compile(
    r'^flux_serde_contract_violations_total\{action="DLQ",rule="temperatureInRange",'
    r'subject="weather.service.event.updated-value"\} ([0-9.e+]+)$',
    re.MULTILINE,
)


@pytest_asyncio.fixture(loop_scope="session")
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeUpstreams]:
    async with FakeUpstreams(seed=23) as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("FLUX_UPSTREAM_MAX_ATTEMPTS", "1")
        yield server


def _violations(metrics: str) -> float:
    match = _METRIC.search(metrics)
    return float(match.group(1)) if match else 0.0


async def test_an_out_of_range_reading_is_dead_lettered_with_its_rule_and_counted(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    fake: FakeUpstreams,
) -> None:
    settings = stack.settings.model_copy(update={"provider": ProviderMode.LIVE})
    events = reader(WeatherUpdated.TOPIC)
    parked = reader(f"{WeatherUpdated.TOPIC}.dlq")
    scorched, fine = fetch_weather("Scorchville", 36.46, -116.87), fetch_weather("Mildton", 47.37, 8.54)
    async with in_process(weather_service, settings) as service:
        before = _violations(await service.metrics())
        fake.faults.inject(FaultMode.OUT_OF_RANGE, target=FaultTarget.WEATHER, count=1)
        await send_commands(producer, serde, [scorched])
        [dead] = await parked.read(lambda rs: len(rs) >= 1, serde=serde, contract=WeatherUpdated)
        await send_commands(producer, serde, [fine])
        [ok] = await events.read(lambda rs: len(rs) >= 1, serde=serde, contract=WeatherUpdated)
        after = _violations(await service.metrics())
    # the refused event never reached its topic; the next command's event did
    assert ok.decoded.correlation_id == fine.command_id and ok.decoded.status is WeatherStatus.SUCCESS
    # parked with Confluent's rule headers and Flux's, the value decodable as the event it was
    assert dead.headers["__rule.name"] == RULE.encode()
    assert dead.headers["__rule.mode"] == b"WRITE"
    assert dead.headers["__rule.subject"] == WeatherUpdated.SUBJECT.encode()
    assert dead.headers["__rule.topic"] == WeatherUpdated.TOPIC.encode()
    assert dead.headers["flux.dlq.error.class"] == b"RuleViolation"
    assert RULE.encode() in dead.headers["flux.dlq.error.message"]
    assert dead.headers["flux.dlq.original.topic"] == WeatherUpdated.TOPIC.encode()
    assert dead.headers["flux.dlq.service"] == b"weather-service"
    assert dead.key == b"scorchville"
    assert dead.decoded.correlation_id == scorched.command_id
    assert dead.decoded.data.temperature_c == 65.0
    assert after == before + 1
