"""TickerBatcher: latest tick per product, flush on window or size, increasing batch sequence."""

from datetime import UTC, datetime
from decimal import Decimal

from flux.services.crypto.model import Tick
from flux.services.crypto.ticker_batcher import TickerBatcher, to_message


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tick(product: str, sequence: int, price: str = "100.5") -> Tick:
    return Tick(
        product_id=product,
        price=Decimal(price),
        best_bid=Decimal(price) - 1,
        best_ask=Decimal(price) + 1,
        volume_24h=Decimal("1234.5678"),
        open_24h=None,
        time=datetime(2026, 11, 22, 3, 0, 0, 123000, tzinfo=UTC),
        trade_id=sequence * 10,
        sequence=sequence,
    )


def test_keeps_only_the_latest_tick_per_product() -> None:
    batcher = TickerBatcher(window_s=10, max_products=100, clock=FakeClock())
    batcher.add(tick("BTC-USD", 1, "100"))
    batcher.add(tick("ETH-USD", 1, "10"))
    batcher.add(tick("BTC-USD", 3, "103"))
    batcher.add(tick("BTC-USD", 2, "102"))  # late, older sequence: ignored
    assert len(batcher) == 2
    assert batcher.ingested == 4
    batch = batcher.take(source="test", produced_at_ms=1)
    assert batch is not None
    prices = {t.product_id: t.price for t in batch.ticks}
    assert prices == {"BTC-USD": "103", "ETH-USD": "10"}


def test_flushes_when_the_window_passes() -> None:
    clock = FakeClock()
    batcher = TickerBatcher(window_s=0.25, max_products=100, clock=clock)
    assert not batcher.due()
    assert batcher.time_left() == 0.25
    assert batcher.add(tick("BTC-USD", 1)) is False
    clock.now += 0.125
    assert batcher.add(tick("ETH-USD", 1)) is False
    assert batcher.time_left() == 0.125
    clock.now += 0.125
    assert batcher.due()
    assert batcher.add(tick("SOL-USD", 1)) is True
    assert batcher.time_left() == 0.0


def test_flushes_when_full() -> None:
    batcher = TickerBatcher(window_s=60, max_products=3, clock=FakeClock())
    assert not batcher.add(tick("A-USD", 1))
    assert not batcher.add(tick("B-USD", 1))
    assert not batcher.add(tick("A-USD", 2))  # same product: still two
    assert batcher.add(tick("C-USD", 1))


def test_take_numbers_batches_and_resets() -> None:
    clock = FakeClock()
    batcher = TickerBatcher(window_s=0.2, clock=clock)
    assert batcher.take(source="s", produced_at_ms=1) is None
    sequences = []
    for n in range(1, 4):
        batcher.add(tick("BTC-USD", n))
        batch = batcher.take(source="crypto-service", produced_at_ms=1700000000000 + n)
        assert batch is not None
        assert batch.source == "crypto-service"
        assert batch.produced_at_ms == 1700000000000 + n
        sequences.append(batch.batch_sequence)
        assert len(batcher) == 0
        assert not batcher.due()
    assert sequences == [1, 2, 3]
    assert batcher.take(source="s", produced_at_ms=1) is None
    assert batcher.sequence == 3


def test_window_restarts_with_the_next_tick_after_take() -> None:
    clock = FakeClock()
    batcher = TickerBatcher(window_s=0.2, clock=clock)
    batcher.add(tick("BTC-USD", 1))
    clock.now += 5
    batcher.take(source="s", produced_at_ms=1)
    assert not batcher.add(tick("BTC-USD", 2))


def test_protobuf_form_keeps_exact_decimals_and_milliseconds() -> None:
    message = to_message(tick("BTC-USD", 7, "91234.50000001"))
    assert message.product_id == "BTC-USD"
    assert message.price == "91234.50000001"
    assert message.best_bid == "91233.50000001"
    assert message.volume_24h == "1234.5678"
    assert message.time_ms == int(datetime(2026, 11, 22, 3, 0, 0, 123000, tzinfo=UTC).timestamp() * 1000)
    assert message.trade_id == 70
