"""The run's chart: end-to-end latency and delivered messages/s over time, fault windows shaded."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from flux.chaos.driver import ChaosResult
from flux.chaos.invariants import TICKER, percentile

__all__ = ["write_chart"]


def write_chart(result: ChaosResult, path: Path) -> None:
    """Render the chart of ``result`` to ``path`` (PNG)."""
    import matplotlib  # noqa: PLC0415 - optional, heavy

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    run = result.run
    origin = run.started_at
    delivered: dict[int, int] = defaultdict(int)
    ticker: dict[int, list[float]] = defaultdict(list)
    for r in run.receipts:
        second = int((r.received_at - origin) // 1000)
        delivered[second] += 1
        if r.stream == TICKER:
            ticker[second].append(r.received_at - r.produced_at)
    last = int((run.observed_until - origin) // 1000)
    seconds = list(range(min(delivered, default=0), max(last, max(delivered, default=0)) + 1))
    rates = [delivered.get(s, 0) for s in seconds]
    timed = sorted(ticker)
    p50 = [percentile(ticker[s], 50) for s in timed]
    p99 = [percentile(ticker[s], 99) for s in timed]
    commands = result.evaluation.command_latencies
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(12, 6.5), dpi=90)
    top.plot(timed, p99, color="tab:red", linewidth=0.8, label="ticker message p99 (ms)")
    top.plot(timed, p50, color="tab:blue", linewidth=0.8, label="ticker message p50 (ms)")
    if commands:
        top.scatter(
            [(t - origin) / 1000 for t, _ in commands],
            [latency * 1000 for _, latency in commands],
            s=4,
            color="tab:green",
            alpha=0.5,
            label="request → snapshot (ms)",
        )
    top.set_yscale("log")
    top.set_ylabel("end-to-end latency (ms)")
    top.legend(loc="upper right", fontsize=7)
    bottom.plot(seconds, rates, color="tab:purple", linewidth=0.8)
    bottom.set_ylabel("delivered msgs/s (all clients)")
    bottom.set_xlabel("seconds since start")
    for w in run.windows:
        if w.kind == "baseline":
            continue
        start, end = (w.started_at - origin) / 1000, (w.lifted_at - origin) / 1000
        for axis in (top, bottom):
            axis.axvspan(start, max(end, start + 0.5), color="tab:orange", alpha=0.2)
        bottom.text(
            start, 0.98, w.name, transform=bottom.get_xaxis_transform(), rotation=90, fontsize=6, va="top"
        )
    verdict = "passed" if result.evaluation.passed else "FAILED"
    fig.suptitle(f"flux chaos --profile {result.profile.name}: {verdict} (faults shaded)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
