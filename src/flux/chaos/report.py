"""The run's report: a table on stdout, ``chaos.md`` and ``chaos.json`` (plus the chart, :mod:`chart`).

Example:
    >>> paths = write_reports(result, Path("reports"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import platform as host
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flux.chaos.driver import ChaosResult
from flux.chaos.invariants import FaultRow, live_latencies, percentile

__all__ = ["render_table", "render_verdicts", "report_stem", "to_json", "write_reports"]

_COLUMNS = (
    "Fault",
    "Started (s)",
    "Window (s)",
    "Accepted",
    "Refused",
    "Lost",
    "Late",
    "Max e2e (s)",
    "Recovery (s)",
    "Duplicates",
    "Stale",
    "DLQ'd",
    "Crashes",
    "Recovered",
)


def _seconds(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f}"


def _cells(row: FaultRow) -> list[str]:
    return [
        row.name,
        f"{row.started_s:.0f}",
        f"{row.window_s:.1f}",
        str(row.accepted),
        str(row.refused),
        str(row.lost),
        str(row.late),
        _seconds(row.max_e2e_s if row.accepted else None),
        _seconds(row.recovery_s),
        str(row.duplicates),
        str(row.stale),
        row.dead_lettered,
        str(row.crashes),
        "yes" if row.recovered else "NO",
    ]


def render_table(rows: Sequence[FaultRow]) -> str:
    """The per-fault table in Markdown (readable as plain text too)."""
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "|".join("---" for _ in _COLUMNS) + "|"]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def render_verdicts(result: ChaosResult) -> str:
    """One line per invariant: PASS, FAIL or n/a, with the evidence."""
    lines = []
    for inv in result.evaluation.invariants:
        mark = "n/a " if inv.passed is None else ("PASS" if inv.passed else "FAIL")
        lines.append(f"- **{mark}** {inv.name}: {inv.detail}")
    return "\n".join(lines)


def _latency_summary(result: ChaosResult) -> dict[str, float]:
    values = [latency for _, latency in result.evaluation.command_latencies]
    fresh = result.evaluation.fresh_latencies
    messages = live_latencies(result.run.receipts)
    calm: list[float] = []
    for window in result.run.windows:
        if window.kind == "baseline":
            calm += live_latencies(result.run.receipts, window.started_at, window.ended_at)
    return {
        "command_p50_s": round(percentile(values, 50), 3),
        "command_p99_s": round(percentile(values, 99), 3),
        "command_max_s": round(max(values), 3) if values else math.nan,
        "fresh_answers": len(fresh),
        "fresh_p50_s": round(percentile(fresh, 50), 3),
        "fresh_p99_s": round(percentile(fresh, 99), 3),
        "message_p50_ms": round(percentile(messages, 50), 1),
        "message_p99_ms": round(percentile(messages, 99), 1),
        "calm_message_p50_ms": round(percentile(calm, 50), 1),
        "calm_message_p99_ms": round(percentile(calm, 99), 1),
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def to_json(result: ChaosResult) -> dict[str, Any]:
    """Everything a later reader needs to trust (or question) the verdicts."""
    evaluation = result.evaluation
    document: dict[str, Any] = _json_safe(
        {
            "profile": asdict(result.profile),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(result.duration_s, 1),
            "host": {"python": host.python_version(), "machine": host.machine(), "system": host.system()},
            "passed": evaluation.passed,
            "invariants": [asdict(i) for i in evaluation.invariants],
            "faults": [asdict(r) for r in evaluation.rows],
            "recovery_checks": result.run.recovery,
            "latency": _latency_summary(result),
            "run": result.info,
            "losses": evaluation.losses,
            "duplicates": evaluation.duplicates,
            "stale": evaluation.stale,
            "dead_letters": evaluation.dead_letters,
            "contract_violations": {
                **evaluation.contract_violations,
                "requests_answered_by_refusal": evaluation.refused_by_contract,
            },
            "registry_failover": evaluation.registry_failover,
            "bff_failover": evaluation.bff_failover,
            "memory": evaluation.memory,
            "flood": evaluation.flood,
            "crashes": [asdict(c) for c in result.run.crashes],
            "fault_details": {w.name: w.detail for w in result.run.windows if w.detail},
        }
    )
    return document


def _markdown(result: ChaosResult, chart: Path | None) -> str:
    evaluation = result.evaluation
    latency = _latency_summary(result)
    info = result.info
    verdict = "PASSED" if evaluation.passed else "FAILED"
    parts = [
        f"# Chaos run: profile `{result.profile.name}` — {verdict}",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {result.duration_s / 60:.1f} min, "
        f"{result.run.users} simulated users, {info['requests']} requests, "
        f"{info['messages_received']} messages received, {info['commands_in_kafka']} commands and "
        f"{info['events_in_kafka']} events in Kafka. Regenerate with `flux chaos --profile {result.profile.name}`.",
        "",
        "## Faults",
        "",
        render_table(evaluation.rows),
        "",
        "*Accepted*: requests the BFF acknowledged with ok during the window; *Refused*: answered with an "
        "error (e.g. `unavailable`, `rate_limited`); *Lost*: accepted but the answer never reached a client "
        "in the room; *Late*: reached it later than the recovery bound; *Max e2e*: slowest request → "
        "snapshot at the requester; *Recovery*: from the fault being lifted until every request accepted "
        "during it had its answer; *DLQ'd*: poison records found in their dead-letter topic.",
        "",
        "## Invariants",
        "",
        render_verdicts(result),
        "",
        "## Latency",
        "",
        f"Request → answer at the requester, whole run, faults included: p50 {latency['command_p50_s']} s, "
        f"p99 {latency['command_p99_s']} s, max {latency['command_max_s']} s (most requests are answered "
        f"by a snapshot the client already holds: the content had not changed). The "
        f"{latency['fresh_answers']} answered by a snapshot arriving after the ack: p50 "
        f"{latency['fresh_p50_s']} s, p99 {latency['fresh_p99_s']} s.",
        "",
        f"Ticker message latency (producedAt → client): between faults p50 {latency['calm_message_p50_ms']} ms, "
        f"p99 {latency['calm_message_p99_ms']} ms; whole run p50 {latency['message_p50_ms']} ms, "
        f"p99 {latency['message_p99_ms']} ms (the backlog after the broker and BFF outages).",
    ]
    if chart is not None:
        parts += ["", f"![latency and throughput]({chart.name})"]
    memory = [m for m in evaluation.memory]
    if memory:
        parts += [
            "",
            "## Memory (RSS)",
            "",
            "| Process | Baseline (MiB) | Final (MiB) | Span (s) | Growth |",
            "|---|---|---|---|---|",
        ]
        for m in memory:
            if "baseline_mib" in m:
                judged = "" if m["checked"] else " (informative: span below the profile's minimum)"
                parts.append(
                    f"| {m['component']} | {m['baseline_mib']} | {m['final_mib']} | {m['span_s']} | "
                    f"{m['growth_pct']:+.1f}%{judged} |"
                )
            else:
                parts.append(f"| {m['component']} | - | {m['final_mib']} | - | not checked |")
    flood = evaluation.flood
    if flood:
        flooder = flood.get("flooder", {})
        parts += [
            "",
            "## Flood",
            "",
            f"Flooder: {flooder.get('sent', 0)} requests in {flooder.get('periods', 0)} periods of "
            f"{flooder.get('period_s', 0):.0f} s, outcomes {flooder.get('outcomes', {})}, "
            f"{flooder.get('disconnects', 0)} disconnects of the flooder (its oversized payloads close its "
            f"own connection). Others' ticker latency pooled over the calm periods between floods: p50 "
            f"{flood['baseline_p50_ms']} ms, p99 {flood['baseline_p99_ms']} ms; over the flood periods: p50 "
            f"{flood['flood_p50_ms']} ms, p99 {flood['flood_p99_ms']} ms (limit {flood['limit_ms']} ms = "
            f"2 x max(calm p99, 20 ms)); {flood['others_disconnected']} other clients disconnected.",
        ]
    problems = evaluation.losses + evaluation.duplicates + evaluation.stale
    if problems or result.run.crashes:
        parts += ["", "## Evidence", "", "```json", json.dumps(_json_safe(problems[:20]), indent=1)]
        parts += [json.dumps([asdict(c) for c in result.run.crashes], indent=1)[:4000], "```"]
    return "\n".join(parts) + "\n"


def report_stem(profile: str) -> str:
    """File name stem of a profile's report: ``chaos`` for the full run, ``chaos-<profile>`` otherwise."""
    return "chaos" if profile == "full" else f"chaos-{profile}"


def write_reports(result: ChaosResult, report_dir: Path) -> list[Path]:
    """Write ``<stem>.md``, ``<stem>.json`` and ``<stem>.png`` (the chart needs matplotlib).

    The full run writes ``chaos.*`` (the committed report); ``quick`` and ``soak`` write
    ``chaos-quick.*`` and ``chaos-soak.*`` so they never overwrite it.
    """
    from flux.chaos.chart import write_chart  # noqa: PLC0415 - matplotlib is heavy; only here

    stem = report_stem(result.profile.name)
    report_dir.mkdir(parents=True, exist_ok=True)
    chart_path: Path | None = report_dir / f"{stem}.png"
    try:
        write_chart(result, chart_path)  # type: ignore[arg-type]
    except ImportError:
        chart_path = None
    md = report_dir / f"{stem}.md"
    md.write_text(_markdown(result, chart_path))
    js = report_dir / f"{stem}.json"
    js.write_text(json.dumps(to_json(result), indent=1) + "\n")
    return [p for p in (md, js, chart_path) if p is not None]
