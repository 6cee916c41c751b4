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
from flux.serde.examples import example_datum
from flux.serde.subjects import SchemaFormat, load_subjects

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


def _constructed_contracts() -> list[tuple[Path, str, str]]:
    names = {cls.__name__: topic for topic, cls in {**AVRO_CONTRACTS, **PROTOBUF_CONTRACTS}.items()}
    found = []
    for path in sorted((project_root() / "src" / "flux").rglob("*.py")):
        service = _service_of(path)
        if service is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
                found.append((path, service, names[node.func.id]))
    return found


def test_only_the_catalogued_producer_constructs_a_topics_value() -> None:
    wrong = [
        f"{path.relative_to(project_root())}: {service} builds a {topic} value, "
        f"but the catalogue's producer is {load_catalogue().topic(topic).producer}"
        for path, service, topic in _constructed_contracts()
        if load_catalogue().topic(topic).producer != service
    ]
    assert not wrong, "\n".join(wrong)
