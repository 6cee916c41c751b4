"""``flux schemas asyncapi``: prints or writes the AsyncAPI document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flux.catalogue import load_catalogue
from flux.cli.main import build_parser, main
from flux.schema_tools.asyncapi import build_asyncapi, render_asyncapi_json
from flux.schema_tools.subjects import load_subjects


def test_writes_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "nested" / "asyncapi.json"
    assert main(["schemas", "asyncapi", "--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_asyncapi_json(
        build_asyncapi(load_catalogue(), load_subjects())
    )
    assert f"wrote {target}" in capsys.readouterr().out


def test_prints_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "asyncapi"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["asyncapi"] == "3.0.0"
    assert "weather.service.event.updated" in document["channels"]


def test_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["schemas", "--help"])
    assert "asyncapi" in capsys.readouterr().out


def test_a_broken_schema_history_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flux.cli import schemas
    from flux.schema_tools.subjects import SubjectsError

    def broken() -> None:
        raise SubjectsError("schemas/compatibility.yaml has no subject for topics: x")

    monkeypatch.setattr(schemas, "load_subjects", broken)
    assert main(["schemas", "asyncapi"]) == 1
    assert capsys.readouterr().err == "error: schemas/compatibility.yaml has no subject for topics: x\n"
