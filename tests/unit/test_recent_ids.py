"""RecentIds: bounded, expiring memory of recently seen ids (command ids, ticker batch ids)."""

from flux.kafka.recent_ids import RecentIds


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_seen_after_add_and_not_before() -> None:
    recent = RecentIds(capacity=10, ttl_s=60)
    assert not recent.seen("a")
    recent.add("a")
    assert recent.seen("a")
    assert not recent.seen("b")


def test_entries_expire_after_ttl() -> None:
    clock = FakeClock()
    recent = RecentIds(capacity=10, ttl_s=60, clock=clock)
    recent.add("a")
    clock.now = 60.0
    assert recent.seen("a")
    clock.now = 60.1
    assert not recent.seen("a")
    assert len(recent) == 0


def test_capacity_drops_the_oldest_first() -> None:
    recent = RecentIds(capacity=3, ttl_s=60)
    for key in "abcd":
        recent.add(key)
    assert len(recent) == 3
    assert not recent.seen("a")
    assert all(recent.seen(k) for k in "bcd")


def test_re_adding_refreshes_age_and_order() -> None:
    clock = FakeClock()
    recent = RecentIds(capacity=2, ttl_s=10, clock=clock)
    recent.add("a")
    recent.add("b")
    clock.now = 5
    recent.add("a")  # now the newest
    recent.add("c")  # evicts b, not a
    assert recent.seen("a") and recent.seen("c") and not recent.seen("b")
    clock.now = 14
    assert recent.seen("a")


def test_recent_ids_are_bounded() -> None:
    ids = RecentIds(capacity=2, ttl_s=60)
    assert ids.first_sighting("1")
    assert not ids.first_sighting("1")
    assert ids.first_sighting("2")
    assert ids.first_sighting("3")
    assert len(ids) == 2
    assert ids.first_sighting("1")  # evicted, so new again
