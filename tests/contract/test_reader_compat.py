"""(c) What every producer emits is accepted by its consumers' reader schemas.

Data, not only the checker: the current writer's sample is decoded with every reader version the
subject's level promises to support (older readers for FORWARD/FULL levels: consumers that have not
been upgraded yet), and each module that constructs a contract belongs to the service the catalogue
names as that topic's producer.
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from flux.catalogue import load_catalogue
from flux.contracts import AVRO_CONTRACTS, PROTOBUF_CONTRACTS
from flux.paths import project_root
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import SchemaFormat, load_subjects

AVRO_SUBJECTS = [s for s in load_subjects().subjects if s.format is SchemaFormat.AVRO]


@pytest.mark.parametrize("subject", AVRO_SUBJECTS, ids=lambda s: s.subject)
def test_lagging_consumers_read_the_current_writer(subject) -> None:  # type: ignore[no-untyped-def]
    writer = subject.latest.avro_json()
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(writer), example_datum(writer))
    readers = subject.versions if subject.level.startswith(("FORWARD", "FULL")) else (subject.latest,)
    if not subject.level.endswith("TRANSITIVE"):
        readers = readers[-2:]
    for reader in readers:
        body.seek(0)
        datum = schemaless_reader(body, parse_schema(writer), parse_schema(reader.avro_json()))
        assert set(datum) == {f["name"] for f in reader.avro_json()["fields"]}, reader.relative_path


# Source folders → the service name the catalogue uses as producer.
SERVICE_OF_FOLDER = {
    "bff": "bff",
    "weather": "weather-service",
    "crypto": "crypto-service",
    "news": "news-service",
    "stock": "stock-service",
}


def _service_of(path: Path) -> str | None:
    parts = path.relative_to(project_root() / "src" / "flux").parts
    if parts[0] == "bff":
        return "bff"
    if parts[0] == "services" and len(parts) > 2:
        return SERVICE_OF_FOLDER.get(parts[1])
    return None


def _scan() -> tuple[list[tuple[Path, str, str]], list[tuple[Path, str, str]]]:
    """(path, service, topic) of values each service produces and of commands it consumes.

    Produced: a contract class called (built) or listed in a ``produces=[...]`` argument.
    Consumed: the class given to a ``CommandRoute(...)`` (the service runtime's subscription).
    """
    names = {cls.__name__: topic for topic, cls in {**AVRO_CONTRACTS, **PROTOBUF_CONTRACTS}.items()}
    produced, consumed = [], []
    for path in sorted((project_root() / "src" / "flux").rglob("*.py")):
        service = _service_of(path)
        if service is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id in names:
                produced.append((path, service, names[node.func.id]))
            first = node.args[0] if node.args else None
            if node.func.id == "CommandRoute" and isinstance(first, ast.Name) and first.id in names:
                consumed.append((path, service, names[first.id]))
            for keyword in node.keywords:
                if keyword.arg == "produces" and isinstance(keyword.value, ast.List | ast.Tuple):
                    produced.extend(
                        (path, service, names[item.id])
                        for item in keyword.value.elts
                        if isinstance(item, ast.Name) and item.id in names
                    )
    return produced, consumed


def test_only_the_catalogued_producer_builds_a_topics_value() -> None:
    produced, _ = _scan()
    wrong = [
        f"{path.relative_to(project_root())}: {service} produces {topic}, "
        f"but the catalogue's producer is {load_catalogue().topic(topic).producer}"
        for path, service, topic in produced
        if load_catalogue().topic(topic).producer != service
    ]
    assert not wrong, "\n".join(wrong)


def test_services_consume_only_commands_the_catalogue_routes_to_them() -> None:
    _, consumed = _scan()
    wrong = [
        f"{path.relative_to(project_root())}: {service} consumes {topic}, "
        f"but the catalogue's consumers are {load_catalogue().topic(topic).consumers}"
        for path, service, topic in consumed
        if service not in load_catalogue().topic(topic).consumers
    ]
    assert not wrong, "\n".join(wrong)


def test_every_catalogued_service_producer_is_found_in_the_code() -> None:
    """The scan is not vacuous: each service's produced topics appear in its code."""
    produced, consumed = _scan()
    found = {(service, topic) for _, service, topic in produced}
    services = set(SERVICE_OF_FOLDER.values()) - {"bff"}
    for topic in load_catalogue().topics:
        if topic.producer in services and (topic.name in AVRO_CONTRACTS or topic.name in PROTOBUF_CONTRACTS):
            assert (topic.producer, topic.name) in found, f"{topic.producer} never produces {topic.name}"
    assert consumed, "no CommandRoute found: the consumer scan no longer matches the service runtime"
