"""Memory: every process's resident set at the end of a run within 15 % of its steady-load baseline.

The baseline is the first sample of the final process (same pid) taken after
the run's memory baseline time, or after a restart of that process plus the
warm-up. A component is judged only when baseline and final sample lie
``memory_span_s`` apart (soak); shorter runs report the growth unjudged.

Example:
    >>> [entry["growth_pct"] for entry in check_memory(run)]  # doctest: +SKIP
    [1.2, 0.4]
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from flux.chaos.evaluation import RunRecord
from flux.chaos.platform import RssSample

__all__ = ["MEMORY_GROWTH_LIMIT", "check_memory"]

MEMORY_GROWTH_LIMIT: Final = 0.15


def check_memory(run: RunRecord) -> list[dict[str, Any]]:
    """One entry per component (by name): final and baseline MiB, growth, and whether it passed."""
    out = []
    by_component: dict[str, list[RssSample]] = defaultdict(list)
    for sample in run.rss:
        by_component[sample.component].append(sample)
    for name, samples in sorted(by_component.items()):
        final = samples[-1]
        settle_after = run.memory_from
        for restarted in run.restarts.get(name, []):
            settle_after = max(settle_after, restarted + run.profile.warmup_s * 1000)
        baseline = next((s for s in samples if s.at >= settle_after and s.pid == final.pid), None)
        entry: dict[str, Any] = {"component": name, "final_mib": round(final.rss_kib / 1024, 1)}
        if baseline is None:
            entry.update({"checked": False, "reason": "no sample after the memory baseline time"})
            out.append(entry)
            continue
        growth = final.rss_kib / baseline.rss_kib - 1
        span_s = (final.at - baseline.at) / 1000
        checked = span_s >= run.profile.memory_span_s
        entry.update(
            {
                "checked": checked,
                "baseline_mib": round(baseline.rss_kib / 1024, 1),
                "span_s": round(span_s),
                "growth_pct": round(growth * 100, 1),
                "passed": growth <= MEMORY_GROWTH_LIMIT if checked else None,
            }
        )
        out.append(entry)
    return out
