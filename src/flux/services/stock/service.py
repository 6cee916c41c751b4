"""The stock service: top performing stocks, refreshed periodically and on demand (ADR-006)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from flux.contracts import RefreshTopPerformers, StockPerformance, TopPerformersUpdated
from flux.contracts.snapshot_sizes import STOCKS_SIZE
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.process import ServiceDefinition
from flux.services.runtime.record_handling import CommandRoute
from flux.services.runtime.snapshots import GlobalSnapshot
from flux.services.stock import make_stock_provider, stock_degradation
from flux.services.stock import model as stock

__all__ = ["SERVICE_NAME", "build", "performer_fields"]

SERVICE_NAME: Final = "stock-service"
REFRESH_INTERVAL_S: Final = 30.0
PRICE: Final = Decimal("1e-12")


def performer_fields(board: stock.StockBoard) -> Mapping[str, Any]:
    """Top gainers, best first (the snapshot the spec calls "top performers")."""
    ranked = sorted(board.gainers, key=lambda p: p.change_pct, reverse=True)
    return {
        "performers": [
            StockPerformance(
                symbol=p.ticker,
                name=p.ticker,
                price=p.price.quantize(PRICE),
                change_pct=round(float(p.change_pct), 4),
            )
            for p in ranked
        ],
        "as_of": board.as_of,
    }


async def build(ctx: ServiceContext) -> ServiceDefinition:
    """The stock service's routes and schedule for the shared runtime."""
    provider = make_stock_provider(ctx.settings)
    performers = GlobalSnapshot(
        ctx,
        TopPerformersUpdated,
        fetch=provider.top_performers,
        fields=performer_fields,
        size=STOCKS_SIZE,
        interval_s=REFRESH_INTERVAL_S,
    )
    return ServiceDefinition(
        routes=[CommandRoute(RefreshTopPerformers, performers.on_command, answer_now=performers.answer_now)],
        produces=[TopPerformersUpdated],
        jobs=[performers.run_schedule],
        aclose=provider.aclose,
        degraded=stock_degradation(provider),
    )
