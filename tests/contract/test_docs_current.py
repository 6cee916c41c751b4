"""docs/contracts.md and docs/asyncapi.json are generated from the schemas and must match them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from flux.catalogue import load_catalogue
from flux.cli.main import main
from flux.paths import project_root
from flux.schema_tools.asyncapi import build_asyncapi, render_asyncapi_json
from flux.schema_tools.docs import avro_type_text, render_contracts_markdown
from flux.schema_tools.subjects import load_subjects


def test_committed_contracts_page_is_current() -> None:
    committed = (project_root() / "docs" / "contracts.md").read_text(encoding="utf-8")
    assert committed == render_contracts_markdown(load_subjects()), (
        "docs/contracts.md is stale: run `flux schemas docs --write docs/contracts.md` (or `make docs`)"
    )


def test_every_topic_has_a_section_with_key_and_example() -> None:
    page = render_contracts_markdown(load_subjects())
    for subject in load_subjects().subjects:
        section = page.split(f"## `{subject.topic}`", 1)[1].split("\n## ", 1)[0]
        assert "- Key: " in section and "Example payload:" in section and subject.subject in section


def test_type_rendering() -> None:
    decimal = {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 12}
    assert avro_type_text(["null", decimal]) == "null | decimal(38,12)"
    assert avro_type_text({"type": "array", "items": "flux.crypto.Coin"}) == "array<Coin>"


def test_docs_command_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "contracts.md"
    assert main(["schemas", "docs", "--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_contracts_markdown(load_subjects())


def test_committed_asyncapi_document_is_current() -> None:
    committed = (project_root() / "docs" / "asyncapi.json").read_text(encoding="utf-8")
    assert committed == render_asyncapi_json(build_asyncapi(load_catalogue(), load_subjects())), (
        "docs/asyncapi.json is stale: run `flux schemas asyncapi --write docs/asyncapi.json` (or `make docs`)"
    )


def test_committed_asyncapi_document_passes_the_asyncapi_parser(tmp_path: Path) -> None:
    """The official parser (@asyncapi/parser with the Avro and Protobuf schema parsers), in tools/asyncapi/."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the AsyncAPI validator is @asyncapi/parser, an npm package")
    tool = project_root() / "tools" / "asyncapi"
    assert (tool / "node_modules" / "@asyncapi" / "parser").is_dir(), (
        "the AsyncAPI validator is not installed: run `make setup` (scripts/setup-asyncapi.sh)"
    )
    result = subprocess.run(
        [node, str(tool / "validate.js"), str(project_root() / "docs" / "asyncapi.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid AsyncAPI 3.0.0" in result.stdout
    # The validator is not a rubber stamp: an Avro payload avsc cannot read fails it.
    document = build_asyncapi(load_catalogue(), load_subjects())
    document["components"]["messages"]["FetchWeather"]["payload"]["schema"]["fields"][0]["type"] = "nonsense"
    broken = tmp_path / "asyncapi.json"
    broken.write_text(render_asyncapi_json(document), encoding="utf-8")
    result = subprocess.run(
        [node, str(tool / "validate.js"), str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "nonsense" in result.stdout, result.stdout + result.stderr
