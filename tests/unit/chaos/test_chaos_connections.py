"""The connection-stability invariant: only faults that stop the BFF may disconnect clients."""

from __future__ import annotations

from flux.chaos.connections import check_connections, disconnect_explained
from flux.chaos.observations import FaultWindow


def window(name: str, kind: str, start: float, end: float, down: tuple[str, ...] = ()) -> FaultWindow:
    return FaultWindow(name, kind, start, lifted_at=start + 1, ended_at=end, expected_down=down)


WINDOWS = [
    window("warm-up", "baseline", 0, 100),
    window("kafka-kill", "sigkill+restart", 100, 200, ("kafka",)),
    window("bff-pause", "sigstop/sigcont", 200, 300),
    window("flood", "flood", 300, 400),
    window("bff-kill", "sigkill+restart", 400, 500, ("bff",)),
]


def test_disconnects_during_bff_faults_are_explained_up_to_the_end_of_their_window() -> None:
    assert disconnect_explained(WINDOWS, 200)
    assert disconnect_explained(WINDOWS, 300)  # the settle time after SIGCONT belongs to the fault
    assert disconnect_explained(WINDOWS, 450)  # a fault that holds the BFF down
    assert not disconnect_explained(WINDOWS, 150)  # Kafka's death must not reach the clients
    assert not disconnect_explained(WINDOWS, 350)
    assert not disconnect_explained(WINDOWS, 50)


def test_every_unexplained_disconnect_is_counted_with_its_reason_and_window() -> None:
    result = check_connections(
        WINDOWS,
        [
            (250, 0, "transport error"),  # during the pause: expected
            (40, 1, "transport error"),
            (140, 1, "transport error"),
            (380, 2, "ping timeout"),
            (900, 3, ""),
        ],
    )
    assert result["passed"] is False
    assert result["total"] == 5
    assert result["unexpected"] == 4
    assert result["users"] == 3
    assert result["reasons"] == {"transport error": 2, "ping timeout": 1, "?": 1}
    assert result["windows"] == {"warm-up": 1, "kafka-kill": 1, "flood": 1, "outside any window": 1}
    assert [d["user"] for d in result["first"]] == [1, 1, 2, 3]


def test_a_run_without_unexplained_disconnects_passes() -> None:
    result = check_connections(WINDOWS, [(210, 4, "transport error"), (420, 5, "transport close")])
    assert result["passed"] is True
    assert result["unexpected"] == 0
    assert check_connections(WINDOWS, [])["passed"] is True
