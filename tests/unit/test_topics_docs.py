"""docs/topics.md is generated from the topic catalogue and must match it."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux.catalogue import TopicKind, load_catalogue, parse_catalogue
from flux.cli.main import main
from flux.cli.topics import format_retention, render_topics_markdown
from flux.paths import project_root

REGENERATE = "run `flux topics docs --write docs/topics.md` (or `make docs`) and commit the result"


def test_committed_topics_page_matches_the_catalogue() -> None:
    committed = (project_root() / "docs" / "topics.md").read_text(encoding="utf-8")
    assert committed == render_topics_markdown(load_catalogue()), f"docs/topics.md is stale: {REGENERATE}"


def test_every_topic_has_exactly_one_row() -> None:
    page = render_topics_markdown(load_catalogue())
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows]
    assert names == list(load_catalogue().names())


def test_row_shows_the_catalogue_values() -> None:
    catalogue = parse_catalogue(
        """
topics:
  - name: demo.service.command.go
    kind: command
    domain: demo
    producer: bff
    consumers: [demo-service, auditor]
    partitions: 4
    cleanup_policy: delete
    retention_ms: 7200000
    key: user id | or "global"
    dead_letter: demo.service.command.go.dlq
"""
    )
    rows = [line for line in render_topics_markdown(catalogue).splitlines() if line.startswith("| `")]
    assert rows[0] == (
        "| `demo.service.command.go` | command | bff | demo-service, auditor | 4 | delete | 2 hours"
        ' | user id \\| or "global" | `demo.service.command.go.dlq` |'
    )
    # The dead-letter topic gets its own row, with no dead-letter topic of its own.
    assert rows[1].startswith("| `demo.service.command.go.dlq` | dead-letter | demo-service, auditor |")
    assert rows[1].endswith("| — |")


@pytest.mark.parametrize(
    ("retention_ms", "words"),
    [
        (-1, "forever"),
        (1_000, "1 second"),
        (3_600_000, "1 hour"),
        (86_400_000, "1 day"),
        (604_800_000, "7 days"),
        (5_400_000, "90 minutes"),
        (1_500, "1500 ms"),
    ],
)
def test_format_retention(retention_ms: int, words: str) -> None:
    assert format_retention(retention_ms) == words


def test_cli_list_hides_dead_letters_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    catalogue = load_catalogue()
    assert main(["topics", "list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == [t.name for t in catalogue.topics if t.kind is not TopicKind.DEAD_LETTER]

    assert main(["topics", "list", "--all"]) == 0
    listed_all = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed_all == list(catalogue.names())


def test_cli_docs_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "topics.md"
    assert main(["topics", "docs", "--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_topics_markdown(load_catalogue())
