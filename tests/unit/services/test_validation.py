"""Strict field readers and JSON decoding shared by every live adapter."""

from decimal import Decimal

import pytest

from flux.resilience import UpstreamBadPayload
from flux.services.validation import FieldReader, decode_json

read = FieldReader("test")


def test_decode_json_keeps_exact_decimals() -> None:
    assert decode_json("t", b'{"p": 0.1}') == {"p": Decimal("0.1")}


@pytest.mark.parametrize("body", [b'{"p": NaN}', b'{"p": Infinity}', b'{"p": 1', b"\xff\xfe", b""])
def test_decode_json_rejects_bad_bodies(body: bytes) -> None:
    with pytest.raises(UpstreamBadPayload):
        decode_json("t", body)


def test_text_is_bounded_and_typed() -> None:
    assert read.text({"a": "  x  "}, "a") == "x"
    with pytest.raises(UpstreamBadPayload, match="length"):
        read.text({"a": "x" * 11}, "a", max_length=10)
    with pytest.raises(UpstreamBadPayload, match="expected a string"):
        read.text({"a": 5}, "a")
    with pytest.raises(UpstreamBadPayload, match="missing"):
        read.text({}, "a")


def test_decimal_accepts_numbers_and_numeric_strings_within_range() -> None:
    assert read.decimal({"a": "1.5"}, "a") == Decimal("1.5")
    assert read.decimal({"a": 3}, "a") == Decimal(3)
    assert read.decimal({"a": "12.5%"}, "a", suffix="%") == Decimal("12.5")
    with pytest.raises(UpstreamBadPayload, match="outside"):
        read.decimal({"a": "-1"}, "a", minimum=0)
    for bad in (True, "abc", "", [1], "NaN", "Infinity"):
        with pytest.raises(UpstreamBadPayload):
            read.decimal({"a": bad}, "a")


def test_integer_rejects_booleans_floats_and_out_of_range() -> None:
    assert read.integer({"a": "42"}, "a") == 42
    for bad in (True, 1.5, Decimal("2.0"), "4x"):
        with pytest.raises(UpstreamBadPayload):
            read.integer({"a": bad}, "a")
    with pytest.raises(UpstreamBadPayload):
        read.integer({"a": 101}, "a", maximum=100)


def test_optional_fields_read_null_as_none() -> None:
    assert read.optional_decimal({"a": None}, "a") is None
    assert read.optional_integer({}, "a") is None
    assert read.optional_text({"a": ""}, "a") is None


def test_timestamps_are_utc_aware() -> None:
    stamp = read.timestamp({"t": "2026-11-22T10:00:00.5Z"}, "t")
    assert stamp.utcoffset() is not None
    assert stamp.isoformat() == "2026-11-22T10:00:00.500000+00:00"
    assert read.timestamp({"t": "2026-11-22T10:00"}, "t").tzinfo is not None
    with pytest.raises(UpstreamBadPayload):
        read.timestamp({"t": "yesterday"}, "t")


def test_items_are_bounded() -> None:
    with pytest.raises(UpstreamBadPayload, match="exceed"):
        read.items([1, 2, 3], "list", max_items=2)
    with pytest.raises(UpstreamBadPayload, match="array"):
        read.items({"a": 1}, "list", max_items=2)
