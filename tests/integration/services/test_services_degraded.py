"""On the real stack: a live stock service without its API key runs degraded instead of stopping.

Its probes answer 200 and say why (``"status": "degraded"``), ``flux_service_degraded`` is 1, it
consumes its commands and produces no stock event; nothing else is affected.
"""

from __future__ import annotations

import httpx
import pytest

from flux.devstack.stack import RunningStack
from flux.services.stock import service as stock_service
from flux.settings import ProviderMode

from .conftest import in_process

pytestmark = pytest.mark.integration


async def test_a_live_stock_service_without_a_key_is_ready_and_says_it_is_degraded(
    stack: RunningStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLUX_STOCKS_API_KEY", raising=False)
    settings = stack.settings.model_copy(update={"provider": ProviderMode.LIVE})
    async with in_process(stock_service, settings) as service:
        async with httpx.AsyncClient(timeout=5.0) as client:
            health = (await client.get(f"http://127.0.0.1:{service.port}/health")).json()
            ready = await client.get(f"http://127.0.0.1:{service.port}/ready")
        metrics = await service.metrics()
    assert health["status"] == "degraded"
    assert "FLUX_STOCKS_API_KEY" in health["degraded"]["alphavantage"]
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert 'flux_service_degraded{part="alphavantage",service="stock-service"} 1.0' in metrics
