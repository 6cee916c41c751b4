"""How each of Confluent's JSON schema change types is explained in a compatibility message.

The wording is ours. It says "writer" for the schema data was written with (Confluent's
"original") and "reader" for the one reading it (Confluent's "update").

Example:
    >>> explain("TYPE_CHANGED")
    'the reader expects a different kind of value than the writer produced'
    >>> explain("MIN_ITEMS_INCREASED")
    "the reader's minItems is larger than the writer's"
"""

from __future__ import annotations

from typing import Final

__all__ = ["explain"]

_KEYWORDS: Final = {
    "MAX_LENGTH": "maxLength",
    "MIN_LENGTH": "minLength",
    "PATTERN": "pattern",
    "MAXIMUM": "maximum",
    "MINIMUM": "minimum",
    "EXCLUSIVE_MAXIMUM": "exclusiveMaximum",
    "EXCLUSIVE_MINIMUM": "exclusiveMinimum",
    "MULTIPLE_OF": "multipleOf",
    "MAX_PROPERTIES": "maxProperties",
    "MIN_PROPERTIES": "minProperties",
    "MAX_ITEMS": "maxItems",
    "MIN_ITEMS": "minItems",
    "UNIQUE_ITEMS": "uniqueItems",
}

_SPECIFIC: Final = {
    "ID_CHANGED": "the $id differs",
    "DESCRIPTION_CHANGED": "the description differs",
    "TITLE_CHANGED": "the title differs",
    "DEFAULT_CHANGED": "the default differs",
    "SCHEMA_ADDED": "the reader constrains a value the writer left unconstrained",
    "SCHEMA_REMOVED": "the reader no longer constrains a value the writer constrained",
    "TYPE_EXTENDED": "the reader accepts every number where the writer wrote only integers",
    "TYPE_NARROWED": "the reader accepts only integers where the writer wrote any number",
    "TYPE_CHANGED": "the reader expects a different kind of value than the writer produced",
    "PATTERN_CHANGED": "the reader requires a different pattern than the writer",
    "MULTIPLE_OF_EXPANDED": (
        "the reader's multipleOf is a multiple of the writer's, so it accepts fewer numbers"
    ),
    "MULTIPLE_OF_REDUCED": "the writer's multipleOf is a multiple of the reader's",
    "MULTIPLE_OF_CHANGED": "the reader's multipleOf is unrelated to the writer's",
    "REQUIRED_ATTRIBUTE_ADDED": "the reader requires a property the writer left optional, without a default",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED": "the reader requires a property that has a default",
    "REQUIRED_ATTRIBUTE_REMOVED": "the reader no longer requires the property",
    "ADDITIONAL_PROPERTIES_ADDED": "the reader allows additional properties the writer forbade",
    "ADDITIONAL_PROPERTIES_REMOVED": "the reader forbids additional properties the writer allowed",
    "ADDITIONAL_PROPERTIES_EXTENDED": (
        "the reader accepts any additional property where the writer had a schema"
    ),
    "ADDITIONAL_PROPERTIES_NARROWED": (
        "the reader restricts additional properties the writer left unconstrained"
    ),
    "DEPENDENCY_ARRAY_ADDED": "the reader adds a property dependency",
    "DEPENDENCY_ARRAY_REMOVED": "the reader drops a property dependency",
    "DEPENDENCY_ARRAY_EXTENDED": "the reader's property dependency requires more properties",
    "DEPENDENCY_ARRAY_NARROWED": "the reader's property dependency requires fewer properties",
    "DEPENDENCY_ARRAY_CHANGED": "the reader's property dependency requires different properties",
    "DEPENDENCY_SCHEMA_ADDED": "the reader adds a schema dependency",
    "DEPENDENCY_SCHEMA_REMOVED": "the reader drops a schema dependency",
    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": (
        "the reader declares a property the writer's open content model may already carry with any value"
    ),
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": (
        "the reader declares a property accepting anything"
    ),
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": (
        "the reader requires a new property, without a default, that the writer never wrote"
    ),
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL": (
        "the reader requires a new property with a default"
    ),
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "the reader declares a new optional property",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL": (
        "the reader's open content model still accepts the dropped property"
    ),
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the dropped property could never be written",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": (
        "the reader's closed content model rejects a property the writer wrote"
    ),
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the reader's patternProperties/additionalProperties accept the dropped property"
    ),
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the reader's patternProperties/additionalProperties do not accept the dropped property"
    ),
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the new property fits the writer's patternProperties/additionalProperties"
    ),
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the writer's patternProperties/additionalProperties may have written the new property "
        "with other values"
    ),
    "RESERVED_PROPERTY_REMOVED": "a reserved property was dropped from the metadata",
    "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY": "a property uses a reserved name",
    "ADDITIONAL_ITEMS_ADDED": "the reader allows additional items the writer forbade",
    "ADDITIONAL_ITEMS_REMOVED": "the reader forbids additional items the writer allowed",
    "ADDITIONAL_ITEMS_EXTENDED": "the reader accepts any additional item where the writer had a schema",
    "ADDITIONAL_ITEMS_NARROWED": "the reader restricts additional items the writer left unconstrained",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": (
        "the reader declares a tuple item the writer's open content model may already carry with any value"
    ),
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": (
        "the reader declares a tuple item accepting anything"
    ),
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL": "the reader declares a tuple item the writer never wrote",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL": "the reader's open content model still accepts the dropped item",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the dropped tuple item could never be written",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": (
        "the reader's closed content model rejects a tuple item the writer wrote"
    ),
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the reader's additional items accept the dropped item"
    ),
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the reader's additional items do not accept the dropped item"
    ),
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the new tuple item fits the writer's additional items"
    ),
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": (
        "the writer's additional items may have written the new tuple item with other values"
    ),
    "ENUM_ARRAY_EXTENDED": "the reader accepts more enum values",
    "ENUM_ARRAY_NARROWED": "the reader accepts fewer enum values than the writer wrote",
    "ENUM_ARRAY_CHANGED": "the reader accepts different enum/const values than the writer wrote",
    "COMBINED_TYPE_EXTENDED": "the reader's combination (allOf/anyOf/oneOf) is less strict",
    "COMBINED_TYPE_CHANGED": "the reader combines its subschemas differently (allOf/anyOf/oneOf)",
    "PRODUCT_TYPE_EXTENDED": "the reader's allOf has more subschemas than the writer's",
    "PRODUCT_TYPE_NARROWED": "the reader's allOf has fewer subschemas",
    "SUM_TYPE_EXTENDED": "the reader's anyOf/oneOf offers more alternatives",
    "SUM_TYPE_NARROWED": "the reader's anyOf/oneOf offers fewer alternatives than the writer's",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": "some writer subschema has no compatible counterpart in the reader",
    "NOT_TYPE_EXTENDED": "the reader's not excludes more values",
    "NOT_TYPE_NARROWED": "the reader's not excludes fewer values",
}

_ACTIONS: Final = {
    "ADDED": "the reader adds a {kw} the writer did not have",
    "REMOVED": "the reader drops the writer's {kw}",
    "INCREASED": "the reader's {kw} is larger than the writer's",
    "DECREASED": "the reader's {kw} is smaller than the writer's",
}


def explain(difference_type: str) -> str:
    """A short human explanation of ``difference_type``."""
    specific = _SPECIFIC.get(difference_type)
    if specific is not None:
        return specific
    stem, _, action = difference_type.rpartition("_")
    keyword = _KEYWORDS.get(stem)
    if keyword is None or action not in _ACTIONS:
        return difference_type.lower().replace("_", " ")
    return _ACTIONS[action].format(kw=keyword)
