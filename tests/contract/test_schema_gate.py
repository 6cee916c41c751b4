"""The offline gate (`make check-schemas`): passes on the repository, fails on a breaking change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from flux.cli.main import main
from flux.paths import project_root
from flux.schema_tools.gate import check_history, check_subject
from flux.schema_tools.subjects import (
    POLICY_FILE,
    SchemaFormat,
    SchemaVersion,
    SubjectHistory,
    load_subjects,
    parse_subjects,
)


def test_repository_history_passes_the_gate(capsys) -> None:  # type: ignore[no-untyped-def]
    assert check_history(load_subjects()) == []
    assert main(["schemas", "check"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(project_root() / "schemas", tmp_path / "schemas")  # the policy file comes with it
    return tmp_path


def test_required_field_without_default_fails_naming_subject_version_and_field(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    v2 = root / "schemas" / "avro" / "weather" / "weather_updated.v2.avsc"
    schema = json.loads(v2.read_text(encoding="utf-8"))
    schema["fields"].append({"name": "station_id", "type": "string"})
    (v2.parent / "weather_updated.v3.avsc").write_text(json.dumps(schema), encoding="utf-8")
    history = parse_subjects((root / POLICY_FILE).read_text(encoding="utf-8"), root)
    problems = check_history(history)
    assert problems
    text = "\n".join(str(p) for p in problems)
    assert "weather.service.event.updated-value v3" in text
    assert "station_id" in text
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in text


def _record(*fields: dict[str, object]) -> str:
    return json.dumps({"type": "record", "name": "R", "namespace": "flux.test", "fields": list(fields)})


def _subject(level: str, tmp_path: Path) -> SubjectHistory:
    texts = [
        _record({"name": "x", "type": "int"}),
        _record(),
        _record({"name": "x", "type": "string", "default": ""}),
    ]
    versions = tuple(
        SchemaVersion(number=i, path=tmp_path / f"r.v{i}.avsc", format=SchemaFormat.AVRO, text=text)
        for i, text in enumerate(texts, start=1)
    )
    return SubjectHistory("t-value", "t", "avro/r", SchemaFormat.AVRO, level, versions)


def test_transitive_level_checks_every_earlier_version(tmp_path: Path) -> None:
    # v3 reads v2 data (no x: default applies) but not v1 data (x was an int, now a string).
    assert check_subject(_subject("BACKWARD", tmp_path)) == []
    problems = check_subject(_subject("BACKWARD_TRANSITIVE", tmp_path))
    assert [p.version for p in problems] == [3]
    assert problems[0].message.startswith("field 'x': ")
    assert "BACKWARD_TRANSITIVE" in problems[0].message and "TYPE_MISMATCH" in problems[0].message


def test_breaking_change_inside_a_nested_record_names_the_inner_field(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    folder = root / "schemas" / "avro" / "weather"
    schema = json.loads((folder / "weather_updated.v2.avsc").read_text(encoding="utf-8"))
    data = next(f for f in schema["fields"] if f["name"] == "data")
    data["type"][1]["fields"].append({"name": "uv_index", "type": "double"})
    (folder / "weather_updated.v3.avsc").write_text(json.dumps(schema), encoding="utf-8")
    history = parse_subjects((root / POLICY_FILE).read_text(encoding="utf-8"), root)
    problems = check_history(history)
    assert {p.version for p in problems} == {3}
    assert all("data.uv_index: READER_FIELD_MISSING_DEFAULT_VALUE" in p.message for p in problems)
