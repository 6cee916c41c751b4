"""The topic catalogue: the spec's topics, naming conventions, and no topic spelled outside it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from flux.catalogue import CatalogueError, TopicKind, load_catalogue, parse_catalogue

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "spec" / "kafka-topics.md"
TOPIC_LIKE = re.compile(r"^[a-z_]+\.[a-z]+\.(command|event)\.[a-z.]+$")


def test_catalogue_has_exactly_the_spec_topics() -> None:
    if not SPEC.exists():
        pytest.skip(f"the spec is not checked out beside the repo ({SPEC})")
    spec_topics = set(re.findall(r"^#### `([^`]+)`", SPEC.read_text(), flags=re.MULTILINE))
    declared = {
        t.name for t in load_catalogue().of_kind(TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM)
    }
    assert spec_topics == declared


def test_commands_come_from_the_bff_and_events_go_to_it() -> None:
    catalogue = load_catalogue()
    for spec in catalogue.of_kind(TopicKind.COMMAND):
        assert spec.producer == "bff"
        assert len(spec.consumers) == 1 and spec.consumers[0].endswith("-service")
    for spec in catalogue.of_kind(TopicKind.EVENT, TopicKind.STREAM):
        assert spec.consumers == ("bff",)
        assert spec.producer == f"{spec.domain}-service"


def test_every_consumed_topic_has_a_dead_letter_topic_in_the_catalogue() -> None:
    catalogue = load_catalogue()
    for spec in catalogue.of_kind(TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM):
        dlq = catalogue.dead_letter_for(spec.name)
        assert dlq == spec.name + ".dlq"
        assert catalogue.topic(dlq).kind is TopicKind.DEAD_LETTER


def test_ticker_stream_is_not_compacted_and_snapshots_are() -> None:
    catalogue = load_catalogue()
    assert "compact" not in catalogue.topic("crypto.ticker.event.updated").cleanup_policy
    for spec in catalogue.of_kind(TopicKind.EVENT):
        assert "compact" in spec.cleanup_policy


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("weather.service.fetch", "command", "does not match"),
        ("Weather.service.event.updated", "event", "does not match"),
        ("news.service.event.updated", "command", "does not match"),
        ("stock.service.event.updated.extra", "event", "does not match"),
        ("schemas", "internal", "must start with '_'"),
    ],
)
def test_naming_rules_reject_bad_names(name: str, kind: str, message: str) -> None:
    text = f"""
topics:
  - {{name: {name}, kind: {kind}, domain: {name.split(".", maxsplit=1)[0].lower()}, producer: x, consumers: [y],
      partitions: 1, cleanup_policy: delete, retention_ms: 1, key: k}}
"""
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(text)


def test_missing_field_and_duplicates_are_reported() -> None:
    with pytest.raises(CatalogueError, match="missing required field 'partitions'"):
        parse_catalogue(
            "topics:\n  - {name: a.b.event.c, kind: event, domain: a, producer: x, consumers: [y],"
            " cleanup_policy: delete, retention_ms: 1, key: k}"
        )
    entry = (
        "  - {name: a.b.event.c, kind: event, domain: a, producer: x, consumers: [y], partitions: 1,"
        " cleanup_policy: delete, retention_ms: 1, key: k}\n"
    )
    with pytest.raises(CatalogueError, match="declared twice"):
        parse_catalogue("topics:\n" + entry + entry)


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_code_spells_a_topic_name() -> None:
    """Topic names live in schemas/topics.yaml only; code goes through flux.catalogue.

    Generated contracts are exempt: they are produced from the catalogue by codegen.
    """
    catalogue = load_catalogue()
    offenders = []
    for path in sorted((ROOT / "src" / "flux").rglob("*.py")):
        if "contracts" in path.parts:
            continue
        for lineno, value in _string_constants(path):
            if value in catalogue or TOPIC_LIKE.match(value):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {value!r}")
    assert offenders == []
