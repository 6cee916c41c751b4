"""docs/contracts.md is generated from the schemas and must match them."""

from __future__ import annotations

from pathlib import Path

from flux.cli.main import main
from flux.paths import project_root
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
