"""Deep nesting is refused by an explicit bound, whatever the interpreter's recursion limit is."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from flux.schemas.compatibility import InvalidSchemaError, parse_schema
from flux.schemas.nesting import MAX_NESTING, nesting_depth


@pytest.fixture
def raised_recursion_limit() -> Iterator[None]:
    """As after ``import jsonata`` (jsonata-python sets the limit to 10,000 process-wide)."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    yield
    sys.setrecursionlimit(saved)


@pytest.mark.parametrize(
    ("schema_type", "text"),
    [
        ("AVRO", "[" * 5000 + "]" * 5000),
        ("JSON", '{"not":' * 5000 + "{}" + "}" * 5000),
    ],
)
@pytest.mark.usefixtures("raised_recursion_limit")
def test_deep_documents_are_refused_before_any_parser_recurses(schema_type: str, text: str) -> None:
    with pytest.raises(InvalidSchemaError, match="nested too deeply"):
        parse_schema(schema_type, text)


def test_depth_is_counted_without_recursion_and_stops_early() -> None:
    deep: object = 0
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep, stop_above=MAX_NESTING) == MAX_NESTING + 1
    assert nesting_depth({"a": [1, {"b": []}]}) == 4
    assert nesting_depth("scalar") == 0
