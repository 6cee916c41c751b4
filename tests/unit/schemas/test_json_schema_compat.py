"""JSON schema compatibility by Confluent's rules: every difference type, drafts, refs, recursion.

Each case names a writer schema (data was written with it; Confluent's "original") and a
reader schema (Confluent's "update"), the exact set of difference types reported, and
whether the pair is compatible.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from flux.schemas.json_schema import (
    COMPATIBLE_CHANGES,
    DIFFERENCE_TYPES,
    json_schema_compatibility_messages,
    json_schema_differences,
    parse_json_schema,
)

D4 = "http://json-schema.org/draft-04/schema#"
D6 = "http://json-schema.org/draft-06/schema#"
D7 = "http://json-schema.org/draft-07/schema#"
D2019 = "https://json-schema.org/draft/2019-09/schema"
D2020 = "https://json-schema.org/draft/2020-12/schema"

STR = {"type": "string"}
NUM = {"type": "number"}
INT = {"type": "integer"}


def obj(props: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props or {}, **extra}


def arr(**extra: Any) -> dict[str, Any]:
    return {"type": "array", **extra}


def with_draft(schema: Any, uri: str | None) -> Any:
    if uri is None or not isinstance(schema, dict):
        return schema
    return {"$schema": uri, **schema}


def outcome(
    writer: Any,
    reader: Any,
    *,
    draft: str | None = None,
    writer_refs: dict[str, Any] | None = None,
    reader_refs: dict[str, Any] | None = None,
) -> tuple[set[str], bool]:
    """(difference types found, compatible?) for data written with ``writer`` read by ``reader``."""

    def parse(schema: Any, refs: dict[str, Any] | None) -> Any:
        texts = {name: json.dumps(value) for name, value in (refs or {}).items()}
        return parse_json_schema(json.dumps(with_draft(schema, draft)), texts)

    w, r = parse(writer, writer_refs), parse(reader, reader_refs)
    differences = json_schema_differences(r, w)
    messages = json_schema_compatibility_messages(r, w, direction="BACKWARD: test")
    incompatible = sorted(d.type for d in differences if d.type not in COMPATIBLE_CHANGES)
    assert sorted(m.split(" ", 1)[0] for m in messages) == incompatible
    return {d.type for d in differences}, not messages


# (id, writer, reader, expected difference types, compatible)
CASES: list[tuple[str, Any, Any, set[str], bool]] = [
    # annotations and identical schemas
    ("identical", obj({"a": STR}), obj({"a": STR}), set(), True),
    ("title", {"title": "a", **STR}, {"title": "b", **STR}, {"TITLE_CHANGED"}, True),
    ("description", {"description": "a"}, {"description": "b"}, {"DESCRIPTION_CHANGED"}, True),
    ("id", {"$id": "urn:a"}, {"$id": "urn:b"}, {"ID_CHANGED"}, True),
    ("default", {"default": 1, **NUM}, {"default": 2, **NUM}, {"DEFAULT_CHANGED"}, True),
    ("default added", NUM, {"default": 0, **NUM}, {"DEFAULT_CHANGED"}, True),
    # kinds
    ("object to array", {"type": "object"}, {"type": "array"}, {"TYPE_CHANGED"}, False),
    ("string to number", STR, NUM, {"TYPE_CHANGED"}, False),
    ("integer to number", INT, NUM, {"TYPE_EXTENDED"}, True),
    ("number to integer", NUM, INT, {"TYPE_NARROWED"}, False),
    ("boolean to null", {"type": "boolean"}, {"type": "null"}, {"TYPE_CHANGED"}, False),
    ("anything to empty", obj({"a": STR}), {}, set(), True),
    ("anything to true", STR, True, set(), True),
    ("false to anything", False, STR, set(), True),
    ("true to false", True, False, {"TYPE_CHANGED"}, False),
    ("empty to string", {}, STR, {"TYPE_CHANGED"}, False),
    ("empty to empty object", {}, {"properties": {}}, {"TYPE_CHANGED"}, False),
    ("true to empty", True, {}, set(), True),
    ("string to false", STR, False, {"TYPE_CHANGED"}, False),
    # strings
    ("maxLength added", STR, {**STR, "maxLength": 3}, {"MAX_LENGTH_ADDED"}, False),
    ("maxLength removed", {**STR, "maxLength": 3}, STR, {"MAX_LENGTH_REMOVED"}, True),
    ("maxLength increased", {**STR, "maxLength": 3}, {**STR, "maxLength": 4}, {"MAX_LENGTH_INCREASED"}, True),
    (
        "maxLength decreased",
        {**STR, "maxLength": 4},
        {**STR, "maxLength": 3},
        {"MAX_LENGTH_DECREASED"},
        False,
    ),
    ("minLength added", STR, {**STR, "minLength": 1}, {"MIN_LENGTH_ADDED"}, False),
    ("minLength removed", {**STR, "minLength": 1}, STR, {"MIN_LENGTH_REMOVED"}, True),
    (
        "minLength increased",
        {**STR, "minLength": 1},
        {**STR, "minLength": 2},
        {"MIN_LENGTH_INCREASED"},
        False,
    ),
    ("minLength decreased", {**STR, "minLength": 2}, {**STR, "minLength": 1}, {"MIN_LENGTH_DECREASED"}, True),
    ("pattern added", STR, {**STR, "pattern": "^a"}, {"PATTERN_ADDED"}, False),
    ("pattern removed", {**STR, "pattern": "^a"}, STR, {"PATTERN_REMOVED"}, True),
    ("pattern changed", {**STR, "pattern": "^a"}, {**STR, "pattern": "^b"}, {"PATTERN_CHANGED"}, False),
    ("pattern same", {**STR, "pattern": "^a"}, {**STR, "pattern": "^a"}, set(), True),
    # Confluent has no rule for "format": changing it is invisible.
    ("format changed", {**STR, "format": "email"}, {**STR, "format": "uuid"}, set(), True),
    # numbers
    ("maximum added", NUM, {**NUM, "maximum": 5}, {"MAXIMUM_ADDED"}, False),
    ("maximum removed", {**NUM, "maximum": 5}, NUM, {"MAXIMUM_REMOVED"}, True),
    ("maximum increased", {**NUM, "maximum": 5}, {**NUM, "maximum": 6.5}, {"MAXIMUM_INCREASED"}, True),
    ("maximum decreased", {**NUM, "maximum": 5}, {**NUM, "maximum": 4}, {"MAXIMUM_DECREASED"}, False),
    ("maximum 5 vs 5.0", {**NUM, "maximum": 5}, {**NUM, "maximum": 5.0}, set(), True),
    ("minimum added", NUM, {**NUM, "minimum": 0}, {"MINIMUM_ADDED"}, False),
    ("minimum removed", {**NUM, "minimum": 0}, NUM, {"MINIMUM_REMOVED"}, True),
    ("minimum increased", {**NUM, "minimum": 0}, {**NUM, "minimum": 1}, {"MINIMUM_INCREASED"}, False),
    ("minimum decreased", {**NUM, "minimum": 1}, {**NUM, "minimum": 0}, {"MINIMUM_DECREASED"}, True),
    ("exclusiveMaximum added", NUM, {**NUM, "exclusiveMaximum": 9}, {"EXCLUSIVE_MAXIMUM_ADDED"}, False),
    ("exclusiveMaximum removed", {**NUM, "exclusiveMaximum": 9}, NUM, {"EXCLUSIVE_MAXIMUM_REMOVED"}, True),
    (
        "exclusiveMaximum increased",
        {**NUM, "exclusiveMaximum": 9},
        {**NUM, "exclusiveMaximum": 10},
        {"EXCLUSIVE_MAXIMUM_INCREASED"},
        True,
    ),
    (
        "exclusiveMaximum decreased",
        {**NUM, "exclusiveMaximum": 9},
        {**NUM, "exclusiveMaximum": 8},
        {"EXCLUSIVE_MAXIMUM_DECREASED"},
        False,
    ),
    ("exclusiveMinimum added", NUM, {**NUM, "exclusiveMinimum": 0}, {"EXCLUSIVE_MINIMUM_ADDED"}, False),
    ("exclusiveMinimum removed", {**NUM, "exclusiveMinimum": 0}, NUM, {"EXCLUSIVE_MINIMUM_REMOVED"}, True),
    (
        "exclusiveMinimum increased",
        {**NUM, "exclusiveMinimum": 0},
        {**NUM, "exclusiveMinimum": 1},
        {"EXCLUSIVE_MINIMUM_INCREASED"},
        False,
    ),
    (
        "exclusiveMinimum decreased",
        {**NUM, "exclusiveMinimum": 1},
        {**NUM, "exclusiveMinimum": 0},
        {"EXCLUSIVE_MINIMUM_DECREASED"},
        True,
    ),
    ("multipleOf added", NUM, {**NUM, "multipleOf": 2}, {"MULTIPLE_OF_ADDED"}, False),
    ("multipleOf removed", {**NUM, "multipleOf": 2}, NUM, {"MULTIPLE_OF_REMOVED"}, True),
    (
        "multipleOf expanded",
        {**NUM, "multipleOf": 2},
        {**NUM, "multipleOf": 10},
        {"MULTIPLE_OF_EXPANDED"},
        False,
    ),
    (
        "multipleOf reduced",
        {**NUM, "multipleOf": 10},
        {**NUM, "multipleOf": 5},
        {"MULTIPLE_OF_REDUCED"},
        True,
    ),
    (
        "multipleOf changed",
        {**NUM, "multipleOf": 10},
        {**NUM, "multipleOf": 3},
        {"MULTIPLE_OF_CHANGED"},
        False,
    ),
    (
        "multipleOf fractional",
        {**NUM, "multipleOf": 0.5},
        {**NUM, "multipleOf": 1.5},
        {"MULTIPLE_OF_EXPANDED"},
        False,
    ),
    ("multipleOf 0.5 vs 0.50", {**NUM, "multipleOf": 0.5}, {**NUM, "multipleOf": 0.50}, set(), True),
    (
        "integer bounds",
        {**INT, "maximum": 10},
        {**NUM, "maximum": 20},
        {"TYPE_EXTENDED", "MAXIMUM_INCREASED"},
        True,
    ),
    # enum and const
    ("enum extended", {"enum": ["a"]}, {"enum": ["a", "b"]}, {"ENUM_ARRAY_EXTENDED"}, True),
    ("enum narrowed", {"enum": ["a", "b"]}, {"enum": ["a"]}, {"ENUM_ARRAY_NARROWED"}, False),
    ("enum changed", {"enum": ["a", "b"]}, {"enum": ["a", "c"]}, {"ENUM_ARRAY_CHANGED"}, False),
    ("enum reordered", {"enum": ["a", "b"]}, {"enum": ["b", "a"]}, set(), True),
    ("enum 1 vs true", {"enum": [1]}, {"enum": [True]}, {"ENUM_ARRAY_CHANGED"}, False),
    (
        "enum objects",
        {"enum": [{"a": 1, "b": 2}]},
        {"enum": [{"b": 2, "a": 1}, None]},
        {"ENUM_ARRAY_EXTENDED"},
        True,
    ),
    ("const changed", {"const": "red"}, {"const": "blue"}, {"ENUM_ARRAY_CHANGED"}, False),
    ("const same", {"const": "red"}, {"const": "red"}, set(), True),
    ("const to enum", {"const": "red"}, {"enum": ["red"]}, {"TYPE_CHANGED"}, False),
    # typed enum is a synthetic allOf of an enum and a string schema
    ("typed enum dropped", {**STR, "enum": ["a"]}, STR, {"PRODUCT_TYPE_NARROWED"}, True),
    ("typed enum added", STR, {**STR, "enum": ["a"]}, {"TYPE_CHANGED"}, False),
    (
        "typed enum extended",
        {**STR, "enum": ["a"]},
        {**STR, "enum": ["a", "b"]},
        {"ENUM_ARRAY_EXTENDED"},
        True,
    ),
    # required
    ("required added", obj({"a": STR}), obj({"a": STR}, required=["a"]), {"REQUIRED_ATTRIBUTE_ADDED"}, False),
    (
        "required with default added",
        obj({"a": STR}),
        obj({"a": {**STR, "default": "x"}}, required=["a"]),
        {"REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "DEFAULT_CHANGED"},
        True,
    ),
    (
        "required removed",
        obj({"a": STR}, required=["a"]),
        obj({"a": STR}),
        {"REQUIRED_ATTRIBUTE_REMOVED"},
        True,
    ),
    # Confluent only looks at "required" for properties declared on both sides.
    ("required of undeclared", obj({"a": STR}), obj({"a": STR}, required=["b"]), set(), True),
    # open content model (no additionalProperties)
    (
        "open: property added",
        obj({"a": STR}),
        obj({"a": STR, "b": NUM}),
        {"PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"},
        False,
    ),
    (
        "open: empty property added",
        obj({"a": STR}),
        obj({"a": STR, "b": {}}),
        {"PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "open: true property added",
        obj(),
        obj({"b": True}),
        {"PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "open: property removed",
        obj({"a": STR, "b": NUM}),
        obj({"a": STR}),
        {"PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"},
        True,
    ),
    ("open: property type changed", obj({"a": STR}), obj({"a": NUM}), {"TYPE_CHANGED"}, False),
    # closed content model
    (
        "closed: optional added",
        obj({"a": STR}, additionalProperties=False),
        obj({"a": STR, "b": NUM}, additionalProperties=False),
        {"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "closed: required added",
        obj({"a": STR}, additionalProperties=False),
        obj({"a": STR, "b": NUM}, additionalProperties=False, required=["b"]),
        {"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"},
        False,
    ),
    (
        "closed: required with default added",
        obj({"a": STR}, additionalProperties=False),
        obj({"a": STR, "b": {**NUM, "default": 0}}, additionalProperties=False, required=["b"]),
        {"REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "closed: property removed",
        obj({"a": STR, "b": NUM}, additionalProperties=False),
        obj({"a": STR}, additionalProperties=False),
        {"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
        False,
    ),
    (
        "closed: false property removed",
        obj({"a": STR, "b": False}, additionalProperties=False),
        obj({"a": STR}, additionalProperties=False),
        {"PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
        True,
    ),
    (
        "closed to open",
        obj({"a": STR}, additionalProperties=False),
        obj({"a": STR}),
        {"ADDITIONAL_PROPERTIES_ADDED"},
        True,
    ),
    (
        "open to closed",
        obj({"a": STR}),
        obj({"a": STR}, additionalProperties=False),
        {"ADDITIONAL_PROPERTIES_REMOVED"},
        False,
    ),
    (
        "closed: removed property goes to open",
        obj({"a": STR, "b": NUM}, additionalProperties=False),
        obj({"a": STR}, additionalProperties=True),
        {"PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", "ADDITIONAL_PROPERTIES_ADDED"},
        True,
    ),
    # partially open content model
    (
        "partial: added property narrower than additionalProperties",
        obj({"a": STR}, additionalProperties=STR),
        obj({"a": STR, "b": {**STR, "maxLength": 3}}, additionalProperties=STR),
        {
            "MAX_LENGTH_ADDED",
            "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        },
        False,
    ),
    (
        "partial: added property same as additionalProperties",
        obj({"a": STR}, additionalProperties=STR),
        obj({"a": STR, "b": STR}, additionalProperties=STR),
        {
            "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        },
        True,
    ),
    (
        "partial: added property covered by pattern",
        obj({}, additionalProperties=False, patternProperties={"^n_": INT}),
        obj({"n_1": NUM}, additionalProperties=False, patternProperties={"^n_": INT}),
        {
            "TYPE_EXTENDED",
            "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        },
        True,
    ),
    (
        "partial: added property not matching any pattern is closed",
        obj({}, additionalProperties=False, patternProperties={"^n_": INT}),
        obj({"s": STR}, additionalProperties=False, patternProperties={"^n_": INT}),
        {"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "partial: required property added though covered",
        obj({}, additionalProperties=STR),
        obj({"b": STR}, additionalProperties=STR, required=["b"]),
        {
            "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        },
        False,
    ),
    (
        "partial: removed property covered",
        obj({"a": STR, "n_1": INT}, additionalProperties=False),
        obj({"a": STR}, additionalProperties=False, patternProperties={"^n_": NUM}),
        {"TYPE_EXTENDED", "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "partial: removed property not covered",
        obj({"a": STR, "b": NUM}, additionalProperties=False),
        obj({"a": STR}, additionalProperties=STR),
        {
            "TYPE_CHANGED",
            "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            "ADDITIONAL_PROPERTIES_ADDED",
        },
        False,
    ),
    (
        "additionalProperties schema changed",
        {"additionalProperties": STR},
        {"additionalProperties": NUM},
        {"TYPE_CHANGED"},
        False,
    ),
    (
        "additionalProperties narrowed",
        {"additionalProperties": True},
        {"additionalProperties": NUM},
        {"ADDITIONAL_PROPERTIES_NARROWED"},
        False,
    ),
    # Surprising but Confluent's: {} as additionalProperties is a schema, unlike true.
    (
        "additionalProperties empty schema",
        obj({"a": STR}),
        obj({"a": STR}, additionalProperties={}),
        {"ADDITIONAL_PROPERTIES_NARROWED"},
        False,
    ),
    (
        "additionalProperties extended",
        {"additionalProperties": NUM},
        {"additionalProperties": True},
        {"ADDITIONAL_PROPERTIES_EXTENDED"},
        True,
    ),
    # object size
    ("maxProperties same", {"maxProperties": 2}, {"maxProperties": 2}, set(), True),
    ("maxProperties added", obj(), obj(maxProperties=2), {"MAX_PROPERTIES_ADDED"}, False),
    ("maxProperties removed", obj(maxProperties=2), obj(), {"MAX_PROPERTIES_REMOVED"}, True),
    (
        "maxProperties increased",
        {"maxProperties": 2},
        {"maxProperties": 3},
        {"MAX_PROPERTIES_INCREASED"},
        True,
    ),
    (
        "maxProperties decreased",
        {"maxProperties": 3},
        {"maxProperties": 2},
        {"MAX_PROPERTIES_DECREASED"},
        False,
    ),
    ("minProperties added", obj(), obj(minProperties=1), {"MIN_PROPERTIES_ADDED"}, False),
    ("minProperties removed", obj(minProperties=1), obj(), {"MIN_PROPERTIES_REMOVED"}, True),
    (
        "minProperties increased",
        {"minProperties": 1},
        {"minProperties": 2},
        {"MIN_PROPERTIES_INCREASED"},
        False,
    ),
    (
        "minProperties decreased",
        {"minProperties": 2},
        {"minProperties": 1},
        {"MIN_PROPERTIES_DECREASED"},
        True,
    ),
    # dependencies
    ("dependency array added", obj(), obj(dependencies={"a": ["b"]}), {"DEPENDENCY_ARRAY_ADDED"}, False),
    ("dependency array removed", obj(dependencies={"a": ["b"]}), obj(), {"DEPENDENCY_ARRAY_REMOVED"}, True),
    (
        "dependency array extended",
        obj(dependencies={"a": ["b"]}),
        obj(dependencies={"a": ["b", "c"]}),
        {"DEPENDENCY_ARRAY_EXTENDED"},
        False,
    ),
    (
        "dependency array narrowed",
        obj(dependencies={"a": ["b", "c"]}),
        obj(dependencies={"a": ["c"]}),
        {"DEPENDENCY_ARRAY_NARROWED"},
        True,
    ),
    (
        "dependency array changed",
        obj(dependencies={"a": ["b"]}),
        obj(dependencies={"a": ["c"]}),
        {"DEPENDENCY_ARRAY_CHANGED"},
        False,
    ),
    (
        "dependency schema added",
        obj(),
        obj(dependencies={"a": obj({"b": STR})}),
        {"DEPENDENCY_SCHEMA_ADDED"},
        False,
    ),
    ("dependency schema removed", obj(dependencies={"a": STR}), obj(), {"DEPENDENCY_SCHEMA_REMOVED"}, True),
    (
        "dependency schema changed",
        obj(dependencies={"a": STR}),
        obj(dependencies={"a": NUM}),
        {"TYPE_CHANGED"},
        False,
    ),
    # arrays
    ("items added", arr(), arr(items=STR), {"SCHEMA_ADDED"}, False),
    ("items removed", arr(items=STR), arr(), {"SCHEMA_REMOVED"}, True),
    ("items changed", arr(items=STR), arr(items=NUM), {"TYPE_CHANGED"}, False),
    ("items widened", arr(items=INT), arr(items=NUM), {"TYPE_EXTENDED"}, True),
    ("maxItems added", arr(), arr(maxItems=3), {"MAX_ITEMS_ADDED"}, False),
    ("maxItems removed", arr(maxItems=3), arr(), {"MAX_ITEMS_REMOVED"}, True),
    ("maxItems increased", arr(maxItems=3), arr(maxItems=4), {"MAX_ITEMS_INCREASED"}, True),
    ("maxItems decreased", arr(maxItems=3), arr(maxItems=2), {"MAX_ITEMS_DECREASED"}, False),
    ("minItems added", arr(), arr(minItems=1), {"MIN_ITEMS_ADDED"}, False),
    ("minItems removed", arr(minItems=1), arr(), {"MIN_ITEMS_REMOVED"}, True),
    ("minItems increased", arr(minItems=1), arr(minItems=2), {"MIN_ITEMS_INCREASED"}, False),
    ("minItems decreased", arr(minItems=2), arr(minItems=1), {"MIN_ITEMS_DECREASED"}, True),
    ("uniqueItems added", arr(), arr(uniqueItems=True), {"UNIQUE_ITEMS_ADDED"}, False),
    ("uniqueItems removed", arr(uniqueItems=True), arr(), {"UNIQUE_ITEMS_REMOVED"}, True),
    ("uniqueItems false is absent", arr(uniqueItems=False), arr(), set(), True),
    # tuples
    (
        "tuple: item removed, open",
        arr(items=[STR, NUM]),
        arr(items=[STR]),
        {"ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "tuple: item added, open",
        arr(items=[STR]),
        arr(items=[STR, NUM]),
        {"ITEM_ADDED_TO_OPEN_CONTENT_MODEL"},
        False,
    ),
    (
        "tuple: empty item added, open",
        arr(items=[STR]),
        arr(items=[STR, {}]),
        {"ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "tuple: item added, closed",
        arr(items=[STR], additionalItems=False),
        arr(items=[STR, NUM], additionalItems=False),
        {"ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"},
        True,
    ),
    (
        "tuple: item removed, closed",
        arr(items=[STR, NUM], additionalItems=False),
        arr(items=[STR], additionalItems=False),
        {"ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
        False,
    ),
    (
        "tuple: false item removed, closed",
        arr(items=[STR, False], additionalItems=False),
        arr(items=[STR], additionalItems=False),
        {"ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
        True,
    ),
    (
        "tuple: item removed, covered",
        arr(items=[STR, INT], additionalItems=False),
        arr(items=[STR], additionalItems=NUM),
        {
            "TYPE_EXTENDED",
            "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            "ADDITIONAL_ITEMS_ADDED",
        },
        True,
    ),
    (
        "tuple: item removed, not covered",
        arr(items=[STR, NUM], additionalItems=STR),
        arr(items=[STR], additionalItems=STR),
        {"TYPE_CHANGED", "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
        False,
    ),
    (
        "tuple: item added, covered",
        arr(items=[STR], additionalItems=NUM),
        arr(items=[STR, NUM], additionalItems=NUM),
        {"ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
        True,
    ),
    (
        "tuple: item added, not covered",
        arr(items=[STR], additionalItems=NUM),
        arr(items=[STR, INT], additionalItems=NUM),
        {"TYPE_NARROWED", "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
        False,
    ),
    ("tuple: item changed", arr(items=[STR]), arr(items=[NUM]), {"TYPE_CHANGED"}, False),
    (
        "additionalItems removed",
        {"additionalItems": True},
        {"additionalItems": False},
        {"ADDITIONAL_ITEMS_REMOVED"},
        False,
    ),
    (
        "additionalItems added",
        {"additionalItems": False},
        {"additionalItems": True},
        {"ADDITIONAL_ITEMS_ADDED"},
        True,
    ),
    (
        "additionalItems narrowed",
        {"additionalItems": True},
        {"additionalItems": STR},
        {"ADDITIONAL_ITEMS_NARROWED"},
        False,
    ),
    (
        "additionalItems extended",
        {"additionalItems": STR},
        {"additionalItems": True},
        {"ADDITIONAL_ITEMS_EXTENDED"},
        True,
    ),
    ("additionalItems changed", {"additionalItems": STR}, {"additionalItems": NUM}, {"TYPE_CHANGED"}, False),
    # combined schemas
    ("oneOf extended", {"oneOf": [STR]}, {"oneOf": [STR, NUM]}, {"SUM_TYPE_EXTENDED"}, True),
    ("oneOf narrowed", {"oneOf": [STR, NUM]}, {"oneOf": [STR]}, {"SUM_TYPE_NARROWED"}, False),
    ("anyOf narrowed", {"anyOf": [STR, NUM]}, {"anyOf": [NUM]}, {"SUM_TYPE_NARROWED"}, False),
    (
        "allOf extended",
        {"allOf": [STR]},
        {"allOf": [STR, {"maxLength": 3}]},
        {"PRODUCT_TYPE_EXTENDED"},
        False,
    ),
    ("allOf narrowed", {"allOf": [STR, {"maxLength": 3}]}, {"allOf": [STR]}, {"PRODUCT_TYPE_NARROWED"}, True),
    (
        "oneOf subschema changed",
        {"oneOf": [STR]},
        {"oneOf": [NUM]},
        {"COMBINED_TYPE_SUBSCHEMAS_CHANGED"},
        False,
    ),
    ("oneOf reordered", {"oneOf": [STR, NUM]}, {"oneOf": [NUM, STR]}, set(), True),
    ("duplicates collapse", {"anyOf": [STR, STR]}, {"anyOf": [STR]}, set(), True),
    ("oneOf to anyOf", {"oneOf": [STR, NUM]}, {"anyOf": [STR, NUM]}, {"COMBINED_TYPE_EXTENDED"}, True),
    (
        "allOf to anyOf",
        {"allOf": [STR]},
        {"anyOf": [STR, NUM]},
        {"COMBINED_TYPE_EXTENDED", "SUM_TYPE_EXTENDED"},
        True,
    ),
    (
        "singleton anyOf to oneOf",
        {"anyOf": [STR]},
        {"oneOf": [STR, NUM]},
        {"COMBINED_TYPE_EXTENDED", "SUM_TYPE_EXTENDED"},
        True,
    ),
    ("anyOf to oneOf", {"anyOf": [STR, NUM]}, {"oneOf": [STR, NUM]}, {"COMBINED_TYPE_CHANGED"}, False),
    (
        "singleton oneOf to singleton allOf",
        {"oneOf": [STR]},
        {"allOf": [STR]},
        {"COMBINED_TYPE_EXTENDED"},
        True,
    ),
    ("oneOf to allOf", {"oneOf": [STR, INT]}, {"allOf": [STR]}, {"COMBINED_TYPE_CHANGED"}, False),
    ("into oneOf", STR, {"oneOf": [NUM, STR]}, {"SUM_TYPE_EXTENDED"}, True),
    (
        "into oneOf, widened",
        {**STR, "maxLength": 3},
        {"anyOf": [NUM, STR]},
        {"MAX_LENGTH_REMOVED", "SUM_TYPE_EXTENDED"},
        True,
    ),
    ("into oneOf, no match", STR, {"oneOf": [NUM, {"type": "boolean"}]}, {"TYPE_CHANGED"}, False),
    ("into singleton allOf", STR, {"allOf": [STR]}, set(), True),
    ("into allOf", STR, {"allOf": [STR, {"maxLength": 3}]}, {"TYPE_CHANGED"}, False),
    ("out of singleton oneOf", {"oneOf": [STR]}, STR, set(), True),
    ("out of oneOf", {"oneOf": [STR, NUM]}, STR, {"TYPE_CHANGED"}, False),
    ("out of allOf", {"allOf": [STR, {"maxLength": 3}]}, STR, {"PRODUCT_TYPE_NARROWED"}, True),
    ("type list extended", {"type": ["string"]}, {"type": ["string", "null"]}, {"SUM_TYPE_EXTENDED"}, True),
    ("type list narrowed", {"type": ["string", "null"]}, STR, {"TYPE_CHANGED"}, False),
    (
        "type list to oneOf",
        {"type": ["string", "null"]},
        {"oneOf": [STR, {"type": "null"}]},
        {"COMBINED_TYPE_CHANGED"},
        False,
    ),
    # not
    ("not narrowed", {"not": NUM}, {"not": INT}, {"NOT_TYPE_NARROWED"}, True),
    ("not extended", {"not": INT}, {"not": NUM}, {"NOT_TYPE_EXTENDED"}, False),
    ("not unchanged", {"not": STR}, {"not": STR}, {"NOT_TYPE_NARROWED"}, True),
    # local $ref
    (
        "ref target changed",
        arr(items={"$ref": "#/definitions/x"}, definitions={"x": STR}),
        arr(items={"$ref": "#/definitions/x"}, definitions={"x": NUM}),
        {"TYPE_CHANGED"},
        False,
    ),
    ("moved into ref", STR, {"$ref": "#/definitions/x", "definitions": {"x": STR}}, set(), True),
    ("moved out of ref", {"$ref": "#/definitions/x", "definitions": {"x": STR}}, STR, set(), True),
    # Confluent (drafts 4-7) ignores every keyword next to $ref.
    (
        "ref siblings ignored",
        {"$ref": "#/definitions/x", "definitions": {"x": STR}},
        {"$ref": "#/definitions/x", "maxLength": 1, "definitions": {"x": STR}},
        set(),
        True,
    ),
    # ... and resolves one level only: a ref to a ref is only compared by its annotations.
    (
        "ref to ref",
        {"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"}, "b": STR}},
        {"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"}, "b": NUM}},
        set(),
        True,
    ),
    # Confluent has no rule for if/then/else or propertyNames or patternProperties themselves.
    (
        "if/then changed",
        {"if": STR, "then": {"maxLength": 3}},
        {"if": STR, "then": {"maxLength": 1}},
        set(),
        True,
    ),
    (
        "propertyNames changed",
        {"propertyNames": {"maxLength": 3}},
        {"propertyNames": {"maxLength": 1}},
        set(),
        True,
    ),
    (
        "patternProperties changed",
        obj(patternProperties={"^a": STR}),
        obj(patternProperties={"^a": NUM}),
        set(),
        True,
    ),
    # A string keyword without "type" still makes a string schema; Confluent never compares
    # whether the type was required, so adding "type": "string" goes unnoticed.
    ("type added to string keywords", {"maxLength": 3}, {**STR, "maxLength": 3}, set(), True),
    # {"type": "string", "minimum": 1} is a synthetic allOf of a string and a number schema.
    (
        "mixed keywords",
        {**STR, "minimum": 1},
        {**STR, "minimum": 2},
        {"COMBINED_TYPE_SUBSCHEMAS_CHANGED"},
        False,
    ),
    ("mixed keywords widened", {**STR, "minimum": 1}, {**STR, "minimum": 0}, {"MINIMUM_DECREASED"}, True),
]


@pytest.mark.parametrize(
    ("writer", "reader", "expected", "compatible"),
    [pytest.param(w, r, e, c, id=name) for name, w, r, e, c in CASES],
)
def test_draft07_rules(writer: Any, reader: Any, expected: set[str], compatible: bool) -> None:
    assert outcome(writer, reader) == (expected, compatible)


# Rules that read the same in every draft (2019-09/2020-12 go through Confluent's translator).
CROSS_DRAFT = [
    (
        "maxLength decreased",
        {**STR, "maxLength": 4},
        {**STR, "maxLength": 3},
        {"MAX_LENGTH_DECREASED"},
        False,
    ),
    ("number to integer", NUM, INT, {"TYPE_NARROWED"}, False),
    (
        "open: property added",
        obj({"a": STR}),
        obj({"a": STR, "b": NUM}),
        {"PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"},
        False,
    ),
    (
        "closed: optional added",
        obj({"a": STR}, additionalProperties=False),
        obj({"a": STR, "b": NUM}, additionalProperties=False),
        {"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"},
        True,
    ),
    ("required added", obj({"a": STR}), obj({"a": STR}, required=["a"]), {"REQUIRED_ATTRIBUTE_ADDED"}, False),
    ("enum narrowed", {"enum": ["a", "b"]}, {"enum": ["a"]}, {"ENUM_ARRAY_NARROWED"}, False),
    ("oneOf extended", {"oneOf": [STR]}, {"oneOf": [STR, NUM]}, {"SUM_TYPE_EXTENDED"}, True),
    ("not narrowed", {"not": NUM}, {"not": INT}, {"NOT_TYPE_NARROWED"}, True),
    ("minItems increased", arr(minItems=1), arr(minItems=2), {"MIN_ITEMS_INCREASED"}, False),
    ("typed enum dropped", {**STR, "enum": ["a"]}, STR, {"PRODUCT_TYPE_NARROWED"}, True),
]
DRAFT_URIS = [D4, D6, D7, D2019, D2020]


@pytest.mark.parametrize("draft", DRAFT_URIS, ids=["draft-04", "draft-06", "draft-07", "2019-09", "2020-12"])
@pytest.mark.parametrize(
    ("writer", "reader", "expected", "compatible"),
    [pytest.param(w, r, e, c, id=name) for name, w, r, e, c in CROSS_DRAFT],
)
def test_rules_in_every_draft(
    draft: str, writer: Any, reader: Any, expected: set[str], compatible: bool
) -> None:
    assert outcome(writer, reader, draft=draft) == (expected, compatible)


DRAFT_SPECIFIC = [
    # 2020-12: prefixItems is the tuple, items after prefixItems the additional items.
    (
        D2020,
        arr(prefixItems=[STR, NUM], items=False),
        arr(prefixItems=[STR], items=False),
        {"ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
        False,
    ),
    (
        D2020,
        arr(prefixItems=[STR], items=NUM),
        arr(prefixItems=[STR, NUM], items=True),
        {"ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ADDITIONAL_ITEMS_EXTENDED"},
        True,
    ),
    (D2020, {"items": True}, {"items": False}, {"ADDITIONAL_ITEMS_REMOVED"}, False),
    (D2020, arr(items=STR), arr(items=NUM), {"TYPE_CHANGED"}, False),
    # 2019-09 still has tuple items + additionalItems.
    (
        D2019,
        arr(items=[STR], additionalItems=NUM),
        arr(items=[STR, INT], additionalItems=NUM),
        {"TYPE_NARROWED", "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
        False,
    ),
    # dependentRequired / dependentSchemas stand for draft-07's dependencies.
    (
        D2020,
        obj(dependentRequired={"a": ["b"]}),
        obj(dependentRequired={"a": ["b", "c"]}),
        {"DEPENDENCY_ARRAY_EXTENDED"},
        False,
    ),
    (D2019, obj(dependentSchemas={"a": STR}), obj(), {"DEPENDENCY_SCHEMA_REMOVED"}, True),
    (D2020, obj(dependentSchemas={"a": STR}), obj(dependentSchemas={"a": NUM}), {"TYPE_CHANGED"}, False),
    # json-sKema: an empty "properties" is nothing, so the schema is {} (no change reported).
    (D2020, {"properties": {}, "maxProperties": 1}, {"properties": {}}, set(), True),
    (D7, {"properties": {}, "maxProperties": 1}, {"properties": {}}, {"MAX_PROPERTIES_REMOVED"}, True),
    # $ref combines with its siblings from 2019-09 on (ignored before).
    (
        D2020,
        {"$ref": "#/$defs/x", "$defs": {"x": STR}},
        {"$ref": "#/$defs/x", "maxLength": 1, "$defs": {"x": STR}},
        {"TYPE_CHANGED"},
        False,
    ),
    # draft-04: boolean exclusiveMaximum only flags the bound; Confluent never compares it.
    (D4, {**NUM, "maximum": 5}, {**NUM, "maximum": 5, "exclusiveMaximum": True}, set(), True),
    # draft-04 has no const: it is an unknown keyword, i.e. {} on both sides.
    (D4, {"const": "a"}, {"const": "b"}, set(), True),
    (D6, {"const": "a"}, {"const": "b"}, {"ENUM_ARRAY_CHANGED"}, False),
    # format is a string keyword to everit (drafts 4-7) but ignored by json-sKema.
    (D7, {}, {"format": "email"}, {"TYPE_CHANGED"}, False),
    (D2020, {}, {"format": "email"}, set(), True),
]


@pytest.mark.parametrize(
    ("draft", "writer", "reader", "expected", "compatible"),
    DRAFT_SPECIFIC,
    ids=[f"{i}-{case[0].rsplit('/', 2)[-2]}" for i, case in enumerate(DRAFT_SPECIFIC)],
)
def test_draft_specific_rules(
    draft: str, writer: Any, reader: Any, expected: set[str], compatible: bool
) -> None:
    assert outcome(writer, reader, draft=draft) == (expected, compatible)


def test_every_difference_type_is_exercised() -> None:
    produced = {t for case in CASES for t in case[3]} | {
        t for case in CROSS_DRAFT + DRAFT_SPECIFIC for t in case[-2]
    }
    # RESERVED_* need Confluent's schema metadata (confluent:reserved), outside this package.
    unreachable = {"RESERVED_PROPERTY_REMOVED", "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY"}
    assert set(DIFFERENCE_TYPES) - unreachable == produced
    assert len(COMPATIBLE_CHANGES) == 57


@pytest.mark.parametrize(
    ("writer", "reader", "expected"),
    [
        (
            obj({"a": obj({"b": STR})}),
            obj({"a": obj({"b": NUM})}),
            ["TYPE_CHANGED #/properties/a/properties/b"],
        ),
        ({**STR, "maxLength": 4}, {**STR, "maxLength": 3}, ["MAX_LENGTH_DECREASED #/maxLength"]),
        (arr(items=[STR, STR]), arr(items=[STR, NUM]), ["TYPE_CHANGED #/items/1"]),
        (obj(dependencies={"a": STR}), obj(dependencies={"a": NUM}), ["TYPE_CHANGED #/dependencies/a"]),
        (obj({"a/b~c": STR}), obj({"a/b~c": NUM}), ["TYPE_CHANGED #/properties/a~1b~0c"]),
        (
            {"allOf": [STR, {"enum": ["a"]}]},
            {"allOf": [{"enum": ["a", "b"]}, STR]},
            ["ENUM_ARRAY_EXTENDED #/allOf/1/enum"],
        ),
        ({"not": INT}, {"not": NUM}, ["NOT_TYPE_EXTENDED #/not"]),
        (obj({"a": STR}), obj({"a": STR}, required=["a"]), ["REQUIRED_ATTRIBUTE_ADDED #/required/a"]),
    ],
)
def test_paths(writer: Any, reader: Any, expected: list[str]) -> None:
    r, w = parse_json_schema(json.dumps(reader)), parse_json_schema(json.dumps(writer))
    assert [f"{d.type} {d.path}" for d in json_schema_differences(r, w)] == expected


def test_message_shape_and_direction() -> None:
    writer = parse_json_schema(json.dumps(obj({"a": STR})))
    reader = parse_json_schema(json.dumps(obj({"a": STR}, required=["a"])))
    messages = json_schema_compatibility_messages(
        reader, writer, direction="BACKWARD: new schema reading version 1"
    )
    assert len(messages) == 1
    assert messages[0].startswith("REQUIRED_ATTRIBUTE_ADDED at #/required/a: ")
    assert messages[0].endswith(" [BACKWARD: new schema reading version 1]")
    # The other way round (the old schema reading new data) is fine.
    assert json_schema_compatibility_messages(writer, reader, direction="FORWARD") == []


def test_one_message_per_incompatible_difference() -> None:
    writer = parse_json_schema(json.dumps(obj({"a": STR, "b": NUM}, additionalProperties=False)))
    reader = parse_json_schema(json.dumps(obj({"a": {**STR, "maxLength": 2}}, additionalProperties=False)))
    messages = json_schema_compatibility_messages(reader, writer, direction="d")
    assert sorted(m.split(" ")[0] for m in messages) == [
        "MAX_LENGTH_ADDED",
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ]


ADDRESS_V1 = {"$id": "https://acme.test/address.json", **obj({"street": STR})}
ADDRESS_V2 = {"$id": "https://acme.test/address.json", **obj({"street": NUM})}


@pytest.mark.parametrize(
    ("ref", "address_v2", "expected", "compatible"),
    [
        ("address.json", ADDRESS_V1, set(), True),
        ("address.json", ADDRESS_V2, {"TYPE_CHANGED"}, False),
        ("https://acme.test/address.json", ADDRESS_V2, {"TYPE_CHANGED"}, False),
        ("address.json#/properties/street", ADDRESS_V2, {"TYPE_CHANGED"}, False),
    ],
)
def test_references_are_compared_through(
    ref: str, address_v2: Any, expected: set[str], compatible: bool
) -> None:
    schema = obj({"home": {"$ref": ref}})
    assert outcome(
        schema, schema, writer_refs={"address.json": ADDRESS_V1}, reader_refs={"address.json": address_v2}
    ) == (expected, compatible)


RECURSIVE = {
    "$ref": "#/definitions/node",
    "definitions": {"node": obj({"value": STR, "children": arr(items={"$ref": "#/definitions/node"})})},
}


def test_recursive_schema_compares_finitely() -> None:
    changed = json.loads(json.dumps(RECURSIVE))
    changed["definitions"]["node"]["properties"]["value"] = NUM
    assert outcome(RECURSIVE, RECURSIVE) == (set(), True)
    assert outcome(RECURSIVE, changed) == ({"TYPE_CHANGED"}, False)
    self_ref = obj({"next": {"$ref": "#"}, "n": INT})
    assert outcome(self_ref, self_ref) == (set(), True)
    assert outcome(self_ref, obj({"next": {"$ref": "#"}, "n": NUM})) == ({"TYPE_EXTENDED"}, True)


def test_recursive_writer_hides_deeper_change() -> None:
    # Confluent stops at a writer schema already being compared, whatever the reader has there.
    reader = obj({"value": STR, "children": arr(items=obj({"value": NUM}))})
    assert outcome(RECURSIVE, reader) == (set(), True)


def _trade(id_type: str) -> dict[str, Any]:
    names = ["Asset", "Basket", "Swap", "Bond", "Option", "Future", "Forward", "Loan", "Repo", "Equity"]

    def union() -> dict[str, Any]:
        return {"oneOf": [{"$ref": f"#/definitions/{n}"} for n in names]}

    definitions = {n: obj({"id": STR, "leg": union(), "other": union()}) for n in names}
    definitions["Asset"]["properties"]["id"] = {"type": id_type}
    return {**obj({"product": union()}), "definitions": definitions}


def test_mutually_recursive_unions_finish() -> None:
    started = time.monotonic()
    assert outcome(_trade("string"), _trade("string")) == (set(), True)
    types, compatible = outcome(_trade("string"), _trade("number"))
    assert not compatible
    assert "COMBINED_TYPE_SUBSCHEMAS_CHANGED" in types
    assert time.monotonic() - started < 60


def test_writer_and_reader_in_different_drafts() -> None:
    writer = parse_json_schema(json.dumps({"$schema": D4, **arr(items=[STR, NUM], additionalItems=False)}))
    reader = parse_json_schema(json.dumps({"$schema": D2020, **arr(prefixItems=[STR], items=False)}))
    assert json_schema_compatibility_messages(reader, writer, direction="BACKWARD") == [
        "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL at #/items/1: the reader's closed content model rejects a tuple "
        "item the writer wrote [BACKWARD]"
    ]
