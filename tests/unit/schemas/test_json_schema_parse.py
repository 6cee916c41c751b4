"""Parsing JSON schemas: drafts, meta-schema checks, canonical string, identity and references."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flux.schemas.errors import InvalidSchemaError, SchemaReferenceError
from flux.schemas.json_schema import ParsedJsonSchema, parse_json_schema

D4 = "http://json-schema.org/draft-04/schema#"
D7 = "http://json-schema.org/draft-07/schema#"
D2020 = "https://json-schema.org/draft/2020-12/schema"


def parse(schema: Any, refs: dict[str, Any] | None = None) -> ParsedJsonSchema:
    texts = {
        name: value if isinstance(value, str) else json.dumps(value) for name, value in (refs or {}).items()
    }
    return parse_json_schema(json.dumps(schema), texts)


@pytest.mark.parametrize(
    ("schema", "draft"),
    [
        ({"type": "string"}, "draft-07"),
        (True, "draft-07"),
        (False, "draft-07"),
        ({"$schema": "http://json-schema.org/draft-04/schema#"}, "draft-04"),
        ({"$schema": "http://json-schema.org/draft-04/schema"}, "draft-04"),
        ({"$schema": "https://json-schema.org/draft-04/schema"}, "draft-04"),
        ({"$schema": "http://json-schema.org/schema#"}, "draft-04"),
        ({"$schema": "http://json-schema.org/draft-06/schema#"}, "draft-06"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "draft-07"),
        ({"$schema": "https://json-schema.org/draft-07/schema"}, "draft-07"),
        ({"$schema": "https://json-schema.org/draft/2019-09/schema"}, "2019-09"),
        ({"$schema": "http://json-schema.org/draft/2019-09/schema#"}, "2019-09"),
        ({"$schema": "https://json-schema.org/draft/2020-12/schema"}, "2020-12"),
        ({"$schema": "https://json-schema.org/draft/2020-12/schema#"}, "2020-12"),
    ],
)
def test_draft_detection(schema: Any, draft: str) -> None:
    assert parse(schema).draft == draft


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('{ "type" : "string" }', '{"type":"string"}'),
        ('{\n  "b": 1,\n  "a": 2\n}', '{"b":1,"a":2}'),
        ('{"maximum": 1.50}', '{"maximum":1.50}'),
        ('{"maximum": 1e2}', '{"maximum":1E+2}'),
        ('{"maximum": 1E-2}', '{"maximum":0.01}'),
        ('{"minimum": -0}', '{"minimum":0}'),
        ('{"minimum": -0.0}', '{"minimum":0.0}'),
        ('{"maximum": 12345678901234567890123}', '{"maximum":12345678901234567890123}'),
        ('{"title": "caf\\u00e9 \\ud83d\\ude00"}', '{"title":"café 😀"}'),
        ('{"title": "a\\"b\\\\c\\/d"}', '{"title":"a\\"b\\\\c/d"}'),
        ('{"title": "\\u0001\\u001f\\t\\n"}', '{"title":"\\u0001\\u001F\\t\\n"}'),
        ("true", "true"),
        (" false ", "false"),
        ('{"enum": [null, true, 1, "x", [], {}]}', '{"enum":[null,true,1,"x",[],{}]}'),
        ('{"a": 1, "a": 2}', '{"a":2}'),
    ],
)
def test_canonical_string(text: str, canonical: str) -> None:
    assert parse_json_schema(text).canonical == canonical


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ('{"type": "string"}', '{ "type":"string" }', True),
        ('{"type": "string", "maxLength": 3}', '{"maxLength": 3, "type": "string"}', False),
        ('{"maximum": 1}', '{"maximum": 1.0}', False),
        ('{"maximum": 1.0}', '{"maximum": 1.00}', False),
        ('{"title": "\\u0041"}', '{"title": "A"}', True),
        ('{"type": "string"}', '{"type": "string", "title": "x"}', False),
        ("true", "{}", False),
    ],
)
def test_identity_of_texts(first: str, second: str, same: bool) -> None:
    assert (parse_json_schema(first).identity == parse_json_schema(second).identity) is same


REF = {"properties": {"a": {"$ref": "a.json"}}}


@pytest.mark.parametrize(
    ("first_refs", "second_refs", "same"),
    [
        ({"a.json": {"type": "string"}}, {"a.json": '{ "type": "string" }'}, True),
        ({"a.json": {"type": "string"}}, {"a.json": {"type": "number"}}, False),
        ({"a.json": {"type": "string"}}, {"a.json": {"type": "string"}, "b.json": {}}, False),
    ],
)
def test_identity_includes_references(
    first_refs: dict[str, Any], second_refs: dict[str, Any], same: bool
) -> None:
    assert (parse(REF, first_refs).identity == parse(REF, second_refs).identity) is same


def test_identity_without_references_is_canonical() -> None:
    parsed = parse({"type": "object"})
    assert parsed.identity == parsed.canonical == '{"type":"object"}'
    assert parse({"type": "object"}, {"x.json": {}}).identity != parsed.identity


def test_fields_as_given() -> None:
    text = '{"type": "object", "properties": {"p": {"$ref": "p.json"}, "x": {"maximum": 1.5}}}'
    parsed = parse_json_schema(text, {"p.json": '{"type": "string"}'})
    assert parsed.text == text
    assert parsed.schema == {"type": "object", "properties": {"p": {"$ref": "p.json"}, "x": {"maximum": 1.5}}}
    assert isinstance(parsed.schema["properties"]["x"]["maximum"], float)
    assert dict(parsed.references) == {"p.json": '{"type": "string"}'}
    with pytest.raises(TypeError):
        parsed.references["q"] = "{}"  # type: ignore[index]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"type": "string",}',
        "{'type': 'string'}",
        '{"type": "string"} x',
        "NaN",
        '{"maximum": Infinity}',
    ],
)
def test_malformed_json_is_rejected(text: str) -> None:
    with pytest.raises(InvalidSchemaError, match="Invalid JSON schema"):
        parse_json_schema(text)


@pytest.mark.parametrize("text", ['"string"', "[]", "1", "null"])
def test_non_object_documents_are_rejected(text: str) -> None:
    with pytest.raises(InvalidSchemaError, match="expected a JSON object or boolean"):
        parse_json_schema(text)


@pytest.mark.parametrize(
    ("schema", "draft", "pointer"),
    [
        ({"type": "strin"}, "draft-07", "/type"),
        ({"minLength": -1}, "draft-07", "/minLength"),
        ({"properties": {"a": {"type": 5}}}, "draft-07", "/properties/a/type"),
        ({"required": "a"}, "draft-07", "/required"),
        ({"items": [{"type": "string"}, {"maxItems": "x"}]}, "draft-07", "/items/1/maxItems"),
        ({"$schema": D4, "exclusiveMinimum": 5, "minimum": 1}, "draft-04", "/exclusiveMinimum"),
        ({"$schema": D4, "items": True}, "draft-04", "/items"),
        ({"$schema": D4, "required": []}, "draft-04", "/required"),
        ({"$schema": D7, "exclusiveMinimum": True}, "draft-07", "/exclusiveMinimum"),
        ({"$schema": D2020, "prefixItems": {}}, "2020-12", "/prefixItems"),
        ({"$schema": D2020, "$defs": {"a": {"enum": "x"}}}, "2020-12", "/$defs/a/enum"),
        (
            {"$schema": "https://json-schema.org/draft/2019-09/schema", "maxContains": -2},
            "2019-09",
            "/maxContains",
        ),
    ],
)
def test_metaschema_violations_name_draft_and_pointer(schema: Any, draft: str, pointer: str) -> None:
    with pytest.raises(InvalidSchemaError) as caught:
        parse(schema)
    assert not isinstance(caught.value, SchemaReferenceError)
    assert f"not a valid {draft} schema at {pointer}:" in str(caught.value)


@pytest.mark.parametrize(
    "uri",
    [
        "http://json-schema.org/draft-05/schema#",
        "https://json-schema.org/draft/2021-01/schema",
        "http://example.com/my-dialect",
        "json-schema.org/draft-07/schema",
    ],
)
def test_unknown_schema_uri_is_rejected(uri: str) -> None:
    with pytest.raises(InvalidSchemaError, match="unknown \\$schema"):
        parse({"$schema": uri, "type": "string"})


def test_schema_uri_must_be_a_string() -> None:
    with pytest.raises(InvalidSchemaError, match="must be a string"):
        parse({"$schema": 7})


@pytest.mark.parametrize(
    ("schema", "refs"),
    [
        ({"$ref": "#/definitions/missing"}, {}),
        ({"properties": {"a": {"$ref": "#/definitions/x"}}, "definitions": {"y": {}}}, {}),
        ({"$ref": "other.json"}, {}),
        ({"$ref": "other.json"}, {"another.json": {}}),
        ({"$ref": "other.json#/definitions/x"}, {"other.json": {"definitions": {}}}),
        ({"$ref": "#nowhere"}, {}),
        ({"definitions": {"unused": {"$ref": "#/definitions/gone"}}}, {}),
        ({"$ref": "a.json"}, {"a.json": {"$ref": "b.json"}}),
        ({"$schema": D2020, "items": {"$ref": "#/$defs/missing"}}, {}),
        ({"$ref": "https://acme.test/other.json"}, {"x.json": {"$id": "https://acme.test/x.json"}}),
    ],
)
def test_unresolved_refs_are_rejected(schema: Any, refs: dict[str, Any]) -> None:
    with pytest.raises(SchemaReferenceError, match="resolves to nothing"):
        parse(schema, refs)


@pytest.mark.parametrize(
    ("schema", "refs"),
    [
        ({"$ref": "#/definitions/a", "definitions": {"a": {"type": "string"}}}, {}),
        ({"$ref": "#"}, {}),
        ({"properties": {"a": {"$ref": "a.json"}}}, {"a.json": {"type": "string"}}),
        ({"$ref": "./a.json"}, {"a.json": {"type": "string"}}),
        ({"$ref": "https://acme.test/a.json"}, {"a": {"$id": "https://acme.test/a.json"}}),
        ({"$ref": "a.json#/definitions/x"}, {"a.json": {"definitions": {"x": {"type": "string"}}}}),
        ({"$ref": "a.json"}, {"a.json": {"$ref": "b.json"}, "b.json": {"type": "string"}}),
        ({"$ref": "a.json"}, {"a.json": {"$ref": "#/definitions/x", "definitions": {"x": {}}}}),
        ({"$id": "https://acme.test/root.json", "$ref": "a.json"}, {"a.json": {"type": "string"}}),
        ({"$id": "https://acme.test/root.json", "$ref": "https://acme.test/a.json"}, {"a.json": {}}),
        ({"$ref": "#foo", "definitions": {"a": {"$id": "#foo", "type": "string"}}}, {}),
        ({"$schema": D2020, "$ref": "#foo", "$defs": {"a": {"$anchor": "foo"}}}, {}),
        ({"$schema": D2020, "$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}}, {}),
        ({"$schema": D4, "$ref": "#/definitions/a", "definitions": {"a": {"id": "#a"}}}, {}),
        ({"$ref": "http://json-schema.org/draft-07/schema#"}, {}),
        ({"properties": {"a": {"$ref": "x"}}}, {"x": True}),
    ],
)
def test_resolvable_refs_are_accepted(schema: Any, refs: dict[str, Any]) -> None:
    parsed = parse(schema, refs)
    assert parsed.schema == schema


@pytest.mark.parametrize(
    ("text", "message"), [("{", "malformed JSON"), ("[1]", "not a JSON object or boolean")]
)
def test_bad_reference_texts_are_rejected(text: str, message: str) -> None:
    with pytest.raises(InvalidSchemaError, match=message):
        parse({"$ref": "a.json"}, {"a.json": text})


@pytest.mark.parametrize(
    "schema",
    [
        {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$recursiveAnchor": True,
            "items": {"$recursiveRef": "#"},
        },
        {"$schema": D2020, "$dynamicAnchor": "node", "items": {"$dynamicRef": "#node"}},
        # A Java-only regex construct is not rejected: Confluent compiles patterns as Java regexes.
        {"patternProperties": {"^\\p{L}+$": {"type": "string"}}, "pattern": "\\p{Lu}"},
    ],
)
def test_modern_refs_and_java_regexes_are_accepted(schema: Any) -> None:
    assert parse(schema).schema == schema


def test_deep_nesting_is_an_invalid_schema_not_a_crash() -> None:
    text = '{"not":' * 2000 + "{}" + "}" * 2000
    with pytest.raises(InvalidSchemaError, match="nested too deeply"):
        parse_json_schema(text)
    moderate = '{"type":"object","properties":{"a":' * 60 + '{"type":"string"}' + "}}" * 60
    assert parse_json_schema(moderate).draft == "draft-07"
