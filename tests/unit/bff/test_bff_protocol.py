"""Validation of every client payload: accepted shapes, rejected shapes, error codes."""

from __future__ import annotations

import pytest

from flux.bff.protocol import (
    ErrorCode,
    ProtocolError,
    RefreshTarget,
    error_ack,
    normalise_city,
    parse_channel,
    parse_location,
    parse_refresh,
)


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("Delhi", "Delhi", "delhi"),
        ("  new   YORK ", "new YORK", "new york"),
        ("São Paulo", "São Paulo", "são paulo"),
        ("Sa\u0303o Paulo", "São Paulo", "são paulo"),  # decomposed form → NFC
        ("Saint-Étienne", "Saint-Étienne", "saint-étienne"),
        ("L'Aquila", "L'Aquila", "l'aquila"),
        ("東京", "東京", "東京"),
        ("St. John's", "St. John's", "st. john's"),
    ],
)
def test_city_is_normalised(raw: str, display: str, key: str) -> None:
    assert normalise_city(raw) == (display, key)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "x" * 65, "<script>", "Delhi; DROP", "a_b", "Route 66", "{}", "..", 42, None, ["Delhi"]],
)
def test_bad_cities_are_rejected(raw: object) -> None:
    with pytest.raises(ProtocolError) as info:
        normalise_city(raw)
    assert info.value.code is ErrorCode.INVALID_CITY


def test_location_accepts_numbers_and_numeric_strings() -> None:
    req = parse_location({"city": "Delhi", "lat": "28.61", "lon": 77.2})
    assert (req.city, req.city_key, req.lat, req.lon) == ("Delhi", "delhi", 28.61, 77.2)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (None, ErrorCode.INVALID_PAYLOAD),
        ("Delhi", ErrorCode.INVALID_PAYLOAD),
        ([1, 2], ErrorCode.INVALID_PAYLOAD),
        ({"city": "Delhi", "lat": 1}, ErrorCode.INVALID_PAYLOAD),
        ({"city": "Delhi", "lat": 1, "lon": 2, "admin": True}, ErrorCode.INVALID_PAYLOAD),
        ({"city": "Delhi", "lat": 91, "lon": 0}, ErrorCode.INVALID_COORDINATES),
        ({"city": "Delhi", "lat": 0, "lon": -180.5}, ErrorCode.INVALID_COORDINATES),
        ({"city": "Delhi", "lat": "nan", "lon": 0}, ErrorCode.INVALID_COORDINATES),
        ({"city": "Delhi", "lat": "inf", "lon": 0}, ErrorCode.INVALID_COORDINATES),
        ({"city": "Delhi", "lat": True, "lon": 0}, ErrorCode.INVALID_COORDINATES),
        ({"city": "Delhi", "lat": "1" * 100, "lon": 0}, ErrorCode.INVALID_COORDINATES),
        ({"city": "Delhi", "lat": {"x": 1}, "lon": 0}, ErrorCode.INVALID_COORDINATES),
        ({"city": "D" * 10_000, "lat": 0, "lon": 0}, ErrorCode.INVALID_CITY),
    ],
)
def test_bad_locations_are_rejected_with_a_code(payload: object, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_location(payload)
    assert info.value.code is code
    assert len(info.value.message) < 200


def test_channels() -> None:
    assert parse_channel({"channel": "crypto.global"}) == "crypto.global"
    for bad, code in [
        ({"channel": "weather.delhi"}, ErrorCode.UNKNOWN_CHANNEL),
        ({"channel": "x" * 5000}, ErrorCode.UNKNOWN_CHANNEL),
        ({"channel": 3}, ErrorCode.INVALID_PAYLOAD),
        ({}, ErrorCode.INVALID_PAYLOAD),
    ]:
        with pytest.raises(ProtocolError) as info:
            parse_channel(bad)
        assert info.value.code is code
        assert len(info.value.message) < 200


def test_refresh_domains() -> None:
    assert parse_refresh({"domain": "crypto:movers"}) is RefreshTarget.MOVERS
    with pytest.raises(ProtocolError) as info:
        parse_refresh({"domain": "weather"})
    assert info.value.code is ErrorCode.UNKNOWN_DOMAIN


def test_error_ack_shape() -> None:
    assert error_ack(ErrorCode.RATE_LIMITED, "slow down") == {
        "ok": False,
        "error": {"code": "rate_limited", "message": "slow down"},
    }
