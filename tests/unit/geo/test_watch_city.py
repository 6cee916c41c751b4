"""``flux watch --city NAME`` finds the coordinates in the gazetteer instead of sending 0,0."""

from __future__ import annotations

import pytest

from flux.cli.watch import resolve_city


def test_a_known_city_gets_the_gazetteers_coordinates() -> None:
    name, lat, lon = resolve_city("Delhi", None, None)
    assert name == "Delhi" and abs(lat - 28.65) < 0.1 and abs(lon - 77.23) < 0.1


def test_given_coordinates_are_kept() -> None:
    assert resolve_city("Atlantis", 1.5, 2.5) == ("Atlantis", 1.5, 2.5)


def test_an_unknown_city_is_a_clear_error_with_suggestions() -> None:
    with pytest.raises(ValueError, match=r"unknown city 'Lond'; did you mean: London, ENG, United Kingdom"):
        resolve_city("Lond", None, None)
    with pytest.raises(ValueError, match="unknown city 'Qqxzzy'; give --lat and --lon"):
        resolve_city("Qqxzzy", None, None)


def test_one_coordinate_alone_is_refused() -> None:
    with pytest.raises(ValueError, match="both --lat and --lon"):
        resolve_city("Delhi", 28.6, None)


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(ValueError, match="must contain a letter"):
        resolve_city("--", None, None)
