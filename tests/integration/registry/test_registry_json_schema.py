"""JSON Schema in the registry: registration, lookup, reads, compatibility (verbose), ``$ref``
references to other subjects, invalid schemas (42201, nothing stored), and confluent-kafka's
``JSONSerializer``/``JSONDeserializer`` round trip through the registry."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

pytestmark = pytest.mark.integration


def obj(**properties: object) -> str:
    return json.dumps({"type": "object", "properties": properties})


V1 = obj(id={"type": "integer"})
WIDER = obj(id={"type": "number"})  # reads every integer: BACKWARD compatible


def register(api: httpx.Client, subject: str, schema: str, **extra: object) -> httpx.Response:
    return api.post(f"/subjects/{subject}/versions", json={"schema": schema, "schemaType": "JSON", **extra})


def code(response: httpx.Response) -> int:
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    return int(body["error_code"])


def test_types_list_json(api: httpx.Client) -> None:
    assert "JSON" in api.get("/schemas/types").json()


def test_register_lookup_and_read(api: httpx.Client, subject: str) -> None:
    first = register(api, subject, V1)
    assert first.status_code == 200, first.text
    schema_id = first.json()["id"]
    assert register(api, subject, V1).json()["id"] == schema_id
    assert api.get(f"/subjects/{subject}/versions").json() == [1]
    by_id = api.get(f"/schemas/ids/{schema_id}").json()
    assert (by_id["schemaType"], json.loads(by_id["schema"])) == ("JSON", json.loads(V1))
    version = api.get(f"/subjects/{subject}/versions/1").json()
    assert (version["id"], version["schemaType"]) == (schema_id, "JSON")
    found = api.post(f"/subjects/{subject}", json={"schema": V1, "schemaType": "JSON"})
    assert found.status_code == 200
    assert (found.json()["id"], found.json()["version"]) == (schema_id, 1)
    # JSON and AVRO are different types: the same text as Avro is not this schema
    assert api.post(f"/subjects/{subject}", json={"schema": V1}).status_code in (404, 422)


def test_compatibility_checks_and_verbose_messages(api: httpx.Client, subject: str) -> None:
    register(api, subject, V1)
    ok = api.post(
        f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
        json={"schema": WIDER, "schemaType": "JSON"},
    )
    assert ok.json() == {"is_compatible": True, "messages": []}
    api.put(f"/config/{subject}", json={"compatibility": "FORWARD"})
    narrowing = api.post(
        f"/compatibility/subjects/{subject}/versions?verbose=true",
        json={"schema": WIDER, "schemaType": "JSON"},
    )
    body = narrowing.json()
    assert body["is_compatible"] is False
    assert body["messages"] and all(isinstance(m, str) for m in body["messages"])
    refused = register(api, subject, WIDER)
    assert refused.status_code == 409
    assert code(refused) == 409
    api.put(f"/config/{subject}", json={"compatibility": "BACKWARD"})
    assert register(api, subject, WIDER).status_code == 200


def test_ref_to_another_subject(api: httpx.Client, subject: str) -> None:
    address_subject = subject + "-address"
    address = obj(street={"type": "string"})
    assert register(api, address_subject, address).status_code == 200
    person = obj(name={"type": "string"}, address={"$ref": "address.json"})
    refs = [{"name": "address.json", "subject": address_subject, "version": 1}]
    unresolved = register(api, subject, person)
    assert unresolved.status_code == 422
    assert code(unresolved) == 42201
    assert "address.json" in unresolved.json()["message"]
    assert api.get(f"/subjects/{subject}/versions").status_code == 404  # nothing stored
    response = register(api, subject, person, references=refs)
    assert response.status_code == 200, response.text
    person_id = response.json()["id"]
    assert api.get(f"/schemas/ids/{person_id}").json()["references"] == refs
    assert api.get(f"/subjects/{address_subject}/versions/1/referencedby").json() == [person_id]


@pytest.mark.parametrize(
    "schema",
    [
        "{not json",
        '{"type": 5}',
        '{"$schema": "http://example.com/unknown", "type": "object"}',
        '{"type": "object", "properties": {"a": {"$ref": "#/definitions/missing"}}}',
        "[1, 2]",
    ],
)
def test_invalid_json_schema_is_42201_and_nothing_is_stored(
    api: httpx.Client, subject: str, schema: str
) -> None:
    response = register(api, subject, schema)
    assert response.status_code == 422, response.text
    assert code(response) == 42201
    assert response.json()["message"].startswith("Invalid schema")
    assert api.get(f"/subjects/{subject}/versions").status_code == 404
    assert api.get("/health").status_code in (200, 404)  # still serving


@pytest.mark.usefixtures("flux_only")
def test_invalid_message_has_confluents_shape(api: httpx.Client, subject: str) -> None:
    message = register(api, subject, '{"type": 5}').json()["message"]
    assert message.startswith(f"Invalid schema {{subject={subject},version=0,id=-1,schemaType=JSON,")
    assert " of type JSON, details: " in message


def test_schema_type_is_case_sensitive(api: httpx.Client, subject: str) -> None:
    response = api.post(f"/subjects/{subject}/versions", json={"schema": V1, "schemaType": "json"})
    assert response.status_code == 422
    assert code(response) == 42201


def test_confluent_kafka_json_serializer_round_trip_with_a_reference(registry_url: str) -> None:
    sr = SchemaRegistryClient({"url": registry_url})
    topic = f"it-json-{uuid.uuid4().hex[:8]}"
    address_subject = f"{topic}-address"
    address = json.dumps(
        {
            "$id": "address.json",
            "type": "object",
            "properties": {"street": {"type": "string"}},
            "required": ["street"],
        }
    )
    sr.register_schema(address_subject, Schema(address, "JSON"))
    person = json.dumps(
        {
            "type": "object",
            "properties": {"name": {"type": "string"}, "address": {"$ref": "address.json"}},
            "required": ["name", "address"],
        }
    )
    schema = Schema(person, "JSON", [SchemaReference("address.json", address_subject, 1)])
    serializer = JSONSerializer(schema, sr)
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = {"name": "Asha", "address": {"street": "MG Road"}}
    payload = serializer(value, ctx)
    assert payload is not None and payload[0] == 0
    schema_id = int.from_bytes(payload[1:5], "big")
    registered = sr.get_latest_version(f"{topic}-value")
    assert registered.schema_id == schema_id
    assert registered.schema.schema_type == "JSON"
    fresh = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": registry_url}))
    assert fresh(payload, ctx) == value
    with pytest.raises(SerializationError):  # the serializer validates against the referenced schema
        serializer({"name": "Asha", "address": {"street": 7}}, ctx)
