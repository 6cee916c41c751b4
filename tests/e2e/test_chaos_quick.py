"""``flux chaos --profile quick`` end to end: every fault against the real platform, every invariant holds.

Starts its own embedded stack (real Kafka, registry, Valkey, the four services in
live mode against the fake upstreams, the BFF) and real Socket.IO clients; see
``src/flux/chaos``. The report lands in ``test-output/chaos-quick/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flux.chaos import PROFILES, run_chaos
from flux.chaos.faults import full_plan
from flux.chaos.report import render_table, render_verdicts, write_reports

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


async def test_quick_profile_keeps_every_promise(output_dir: Path) -> None:
    result = await run_chaos(PROFILES["quick"], progress=lambda _: None)
    write_reports(result, output_dir / "chaos-quick")
    evaluation = result.evaluation
    summary = render_table(evaluation.rows) + "\n" + render_verdicts(result)

    faults = {row.name: row for row in evaluation.rows}
    assert {f.name for f in full_plan()} <= set(faults), summary
    # The run did real work: requests were accepted during the faults and messages flowed.
    assert sum(row.accepted for row in evaluation.rows if row.kind != "baseline") > 50, summary
    assert result.info["messages_received"] > 1000, summary
    assert evaluation.deliveries_checked > evaluation.abandoned, summary

    assert evaluation.lost == 0, evaluation.losses
    assert all(row.late == 0 for row in evaluation.rows), summary
    assert all(row.duplicates == 0 for row in evaluation.rows), evaluation.duplicates
    assert all(row.stale == 0 for row in evaluation.rows), evaluation.stale
    dead = evaluation.dead_letters
    assert dead["written"] == 44, dead  # 4 poison kinds x 11 consumed topics
    assert not dead["missing"] and not dead["duplicated"] and not dead["bad_headers"], dead
    assert dead["unexpected_total"] == 0, dead["unexpected"]
    assert result.run.crashes == [], result.run.crashes
    assert all(row.recovered for row in evaluation.rows), result.run.recovery
    assert result.run.connected_at_end == result.run.users
    # Only a fault that stops the BFF may cut a client off (a heartbeat bug once dropped all every 40 s).
    assert evaluation.connections["passed"], evaluation.connections
    flood = evaluation.flood
    assert flood["rate_limited"] > 0 and flood["others_disconnected"] == 0, flood
    # A quick run has too few samples for a p99 ratio (reported, not judged); full and soak judge it.
    assert flood["passed"], flood
    assert evaluation.passed, summary
