"""What ``flux registry subjects``, ``show`` and ``diff`` do, and how they print schemas.

Avro schemas are printed as indented JSON (field order kept), Protobuf schemas as their text.
``diff`` is a unified diff of the two printed schemas followed by the registry's own verdict on
whether the second version is compatible with the first at the subject's effective level. The
printing and the diff live in :mod:`flux.schema_tools.schema_text`, shared with the BFF's
contracts browser (``/contracts``).

Example:
    >>> print(pretty_schema('{"type":"record","name":"A","fields":[]}', "AVRO"))
    {
      "type": "record",
      "name": "A",
      "fields": []
    }
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from flux.cli.errors import CliError, ExitCode, with_close_matches
from flux.cli.registry_client import RegistryHttp, SchemaVersion
from flux.schema_tools.schema_text import pretty_schema, unified_schema_diff
from flux.settings import get_settings

__all__ = ["format_show", "pretty_schema", "run_diff", "run_show", "run_subjects", "schema_diff"]


def _references(schema: SchemaVersion) -> str:
    if not schema.references:
        return "none"
    return ", ".join(f"{r.get('name')} -> {r.get('subject')} v{r.get('version')}" for r in schema.references)


def format_show(schema: SchemaVersion, versions: list[int], level: str) -> str:
    """The ``flux registry show`` page: a header of fields, then the pretty-printed schema."""
    listed = ", ".join(str(v) for v in versions) or "-"
    rows = [
        ("subject", schema.subject),
        ("version", f"{schema.version} (versions: {listed})"),
        ("id", str(schema.schema_id)),
        ("type", schema.schema_type),
        ("level", level),
        ("references", _references(schema)),
    ]
    head = "\n".join(f"{name:<11} {value}" for name, value in rows)
    return f"{head}\n\n{pretty_schema(schema.schema, schema.schema_type)}\n"


def schema_diff(old: SchemaVersion, new: SchemaVersion) -> str:
    """A unified diff of two versions' pretty-printed schemas (empty when they print the same)."""
    return unified_schema_diff(
        old.schema,
        old.schema_type,
        new.schema,
        new.schema_type,
        from_label=f"{old.subject} v{old.version} (id {old.schema_id})",
        to_label=f"{new.subject} v{new.version} (id {new.schema_id})",
    )


def _known_subject(registry: RegistryHttp, subject: str) -> list[int]:
    """The versions of ``subject``; not found names close subjects."""
    try:
        return registry.versions(subject)
    except CliError as exc:
        if exc.code is not ExitCode.NOT_FOUND:
            raise
        raise CliError(
            with_close_matches(str(exc), subject, registry.subjects()), ExitCode.NOT_FOUND
        ) from None


def run_subjects(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``flux registry subjects``: one subject per line, soft-deleted ones marked."""
    stream = out or sys.stdout
    with RegistryHttp.from_settings(get_settings()) as registry:
        live = set(registry.subjects(prefix=args.prefix))
        every = set(registry.subjects(prefix=args.prefix, deleted=True)) if args.deleted else live
    for subject in sorted(every):
        stream.write(subject + ("" if subject in live else "  (soft-deleted)") + "\n")
    if not every:
        print("no subjects" + (f" starting with {args.prefix!r}" if args.prefix else ""), file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``flux registry show SUBJECT [VERSION]``."""
    stream = out or sys.stdout
    with RegistryHttp.from_settings(get_settings()) as registry:
        versions = _known_subject(registry, args.subject)
        schema = registry.version(args.subject, args.version)
        level = registry.level(args.subject)
    stream.write(format_show(schema, versions, level))
    return 0


def run_diff(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``flux registry diff SUBJECT V1 V2``: the diff, then the compatibility verdict of V2 against V1."""
    stream = out or sys.stdout
    with RegistryHttp.from_settings(get_settings()) as registry:
        _known_subject(registry, args.subject)
        old = registry.version(args.subject, args.v1)
        new = registry.version(args.subject, args.v2)
        level = registry.level(args.subject)
        compatible, messages = registry.check_compatibility(args.subject, old.version, new)
    text = schema_diff(old, new)
    stream.write(text or f"v{old.version} and v{new.version} print the same schema\n")
    verdict = "compatible" if compatible else "INCOMPATIBLE"
    stream.write(f"\nv{new.version} against v{old.version} at {level}: {verdict}\n")
    for message in messages:
        stream.write(f"  - {message}\n")
    return 0
