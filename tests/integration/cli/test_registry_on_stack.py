"""``flux registry subjects|show|diff`` against the stack's real registry, on subjects of their own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from flux.contracts import PROTOBUF_CONTRACTS
from flux.devstack.stack import RunningStack
from flux.schema_tools.subjects import load_subjects

from .conftest import CliRun

pytestmark = pytest.mark.integration

CT = "application/vnd.schemaregistry.v1+json"

V1 = {
    "type": "record",
    "name": "Probe",
    "namespace": "flux.clitest",
    "fields": [{"name": "a", "type": "int"}],
}
V2 = {**V1, "fields": [*V1["fields"], {"name": "b", "type": ["null", "string"], "default": None}]}
V3 = {**V1, "fields": [{"name": "a", "type": "string"}, V2["fields"][1]]}  # a: int -> string


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Iterator[httpx.Client]:
    assert stack.registry_url is not None
    with httpx.Client(base_url=stack.registry_url, headers={"Content-Type": CT}, timeout=30) as client:
        yield client


def register(api: httpx.Client, subject: str, schema: dict[str, Any]) -> int:
    answer = api.post(f"/subjects/{subject}/versions", json={"schema": json.dumps(schema)})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def set_level(api: httpx.Client, subject: str, level: str) -> None:
    assert api.put(f"/config/{subject}", json={"compatibility": level}).status_code == 200


@pytest.fixture(scope="module")
def probe(api: httpx.Client) -> dict[str, object]:
    """A subject with v1, v2 (compatible) and v3 (registered at NONE; incompatible with v2) at FULL."""
    prefix = f"cli-it-{uuid.uuid4().hex[:10]}"
    subject = f"{prefix}-value"
    set_level(api, subject, "NONE")
    ids = [register(api, subject, schema) for schema in (V1, V2, V3)]
    set_level(api, subject, "FULL")
    deleted = f"{prefix}-gone-value"
    register(api, deleted, V1)
    assert api.delete(f"/subjects/{deleted}").status_code == 200
    return {"prefix": prefix, "subject": subject, "ids": ids, "deleted": deleted}


def test_subjects_by_prefix_with_and_without_soft_deleted_ones(
    cli: Callable[..., CliRun], probe: dict[str, object]
) -> None:
    live = cli("registry", "subjects", "--prefix", str(probe["prefix"]))
    assert live.code == 0, live.err
    assert live.out == f"{probe['subject']}\n"
    every = cli("registry", "subjects", "--prefix", str(probe["prefix"]), "--deleted")
    assert every.code == 0
    assert every.out.splitlines() == [f"{probe['deleted']}  (soft-deleted)", str(probe["subject"])]
    none = cli("registry", "subjects", "--prefix", "cli-it-nothing-starts-like-this")
    assert (none.code, none.out) == (0, "")
    everything = cli("registry", "subjects")
    assert set(s.subject for s in load_subjects().subjects) <= set(everything.out.splitlines())


def test_show_latest_and_a_given_version(cli: Callable[..., CliRun], probe: dict[str, object]) -> None:
    ids = probe["ids"]
    assert isinstance(ids, list)
    latest = cli("registry", "show", str(probe["subject"]))
    assert latest.code == 0, latest.err
    head, schema = latest.out.split("\n\n", 1)
    assert head.splitlines() == [
        f"subject     {probe['subject']}",
        "version     3 (versions: 1, 2, 3)",
        f"id          {ids[2]}",
        "type        AVRO",
        "level       FULL",
        "references  none",
    ]
    assert json.loads(schema) == V3
    assert schema.startswith('{\n  "type": "record",')  # pretty-printed, field order kept
    first = cli("registry", "show", str(probe["subject"]), "1")
    assert first.code == 0
    assert f"version     1 (versions: 1, 2, 3)\nid          {ids[0]}\n" in first.out
    assert json.loads(first.out.split("\n\n", 1)[1]) == V1


def test_show_a_protobuf_subject(cli: Callable[..., CliRun]) -> None:
    subject = load_subjects().for_topic(next(iter(PROTOBUF_CONTRACTS)))
    run = cli("registry", "show", subject.subject)
    assert run.code == 0, run.err
    assert "type        PROTOBUF" in run.out
    assert 'syntax = "proto3";' in run.out


def test_diff_of_compatible_and_incompatible_versions(
    cli: Callable[..., CliRun], probe: dict[str, object]
) -> None:
    ids = probe["ids"]
    assert isinstance(ids, list)
    subject = str(probe["subject"])
    good = cli("registry", "diff", subject, "1", "2")
    assert good.code == 0, good.err
    lines = good.out.splitlines()
    assert lines[:2] == [f"--- {subject} v1 (id {ids[0]})", f"+++ {subject} v2 (id {ids[1]})"]
    assert '+      "name": "b",' in lines
    assert lines[-1] == "v2 against v1 at FULL: compatible"

    bad = cli("registry", "diff", subject, "2", "latest")
    assert bad.code == 0, bad.err
    lines = bad.out.splitlines()
    assert '-      "type": "int"' in lines and '+      "type": "string"' in lines
    verdict = lines.index("v3 against v2 at FULL: INCOMPATIBLE")
    reasons = lines[verdict + 1 :]
    assert reasons and all(r.startswith("  - ") for r in reasons)
    assert any("a" in r for r in reasons)

    same = cli("registry", "diff", subject, "2", "2")
    assert same.code == 0
    assert same.out.startswith("v2 and v2 print the same schema\n")
    assert same.out.splitlines()[-1] == "v2 against v2 at FULL: compatible"


def test_unknown_subject_and_version_exit_3_and_a_bad_version_2(
    cli: Callable[..., CliRun], probe: dict[str, object]
) -> None:
    subject = str(probe["subject"])
    typo = subject[:-1]
    for argv in (("show", typo), ("diff", typo, "1", "2")):
        run = cli("registry", *argv)
        assert run.code == 3
        assert run.err.count("\n") == 1
        assert run.err.startswith(f"flux: error: subject {typo!r} not found in the registry at ")
        assert f"did you mean: {subject}" in run.err
    for missing in (("show", subject, "9"), ("diff", subject, "1", "9")):
        run = cli("registry", *missing)
        assert (run.code, run.err) == (3, f"flux: error: subject {subject!r} has no version 9\n")
    with pytest.raises(SystemExit) as exc:
        cli("registry", "show", subject, "v2")
    assert exc.value.code == 2
