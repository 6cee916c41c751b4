"""A degraded process: its probes stay 200 and say why; ``flux dev status`` shows it."""

from __future__ import annotations

import json

from aiohttp.test_utils import make_mocked_request

from flux.devstack.component import ComponentStatus
from flux.observability.probes import ProbeEndpoints


async def test_probes_of_a_degraded_process_answer_200_and_say_why() -> None:
    probes = ProbeEndpoints("stock-service")
    probes.add_check("kafka", lambda: True)
    healthy = json.loads((await probes.health(make_mocked_request("GET", "/health"))).text or "{}")
    assert healthy["status"] == "ok" and "degraded" not in healthy
    probes.degrade("alphavantage", "FLUX_STOCKS_API_KEY is not set")
    health = await probes.health(make_mocked_request("GET", "/health"))
    ready = await probes.ready(make_mocked_request("GET", "/ready"))
    assert health.status == 200 and ready.status == 200
    for body in (json.loads(health.text or "{}"), json.loads(ready.text or "{}")):
        assert body["status"] == "degraded"
        assert body["degraded"] == {"alphavantage": "FLUX_STOCKS_API_KEY is not set"}


async def test_a_degraded_process_that_is_not_ready_is_not_ready() -> None:
    probes = ProbeEndpoints("stock-service")
    probes.add_check("kafka", lambda: False)
    probes.degrade("alphavantage", "no key")
    ready = await probes.ready(make_mocked_request("GET", "/ready"))
    assert ready.status == 503 and json.loads(ready.text or "{}")["status"] == "not ready"


def test_dev_status_names_the_states() -> None:
    assert ComponentStatus("s", None, False, "u").state == "stopped"
    assert ComponentStatus("s", 1, False, "u").state == "starting/unhealthy"
    assert ComponentStatus("s", 1, True, "u").state == "healthy"
    assert ComponentStatus("s", 1, True, "u", degraded=True).state == "degraded"
