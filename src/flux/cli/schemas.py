"""``flux schemas``: register the schema history, gate it offline, render its docs.

- ``flux schemas register``: set each subject's compatibility level from ``schemas/compatibility.yaml``
  and register every version in order at ``FLUX_REGISTRY_URL``; prints progress and a final table;
  exits 1 (with the registry's message) when a version is refused.
- ``flux schemas check``: the offline CI gate; exits 1 naming subject, version, rule and field.
- ``flux schemas docs [--write PATH]``: the Markdown page of every topic's contract.
- ``flux schemas asyncapi [--write PATH]``: the AsyncAPI 3.0 document (JSON) of the topics and the BFF's
  Socket.IO protocol (``docs/asyncapi.json``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from confluent_kafka.schema_registry import SchemaRegistryClient

from flux.catalogue import load_catalogue
from flux.schema_tools.asyncapi import build_asyncapi, render_asyncapi_json
from flux.schema_tools.docs import render_contracts_markdown
from flux.schema_tools.registration import RegistrationRow, register_history
from flux.schema_tools.subjects import SubjectsError, load_subjects
from flux.settings import Settings

__all__ = ["format_table", "register"]

LOG = logging.getLogger(__name__)


def format_table(rows: list[RegistrationRow]) -> str:
    """Return the final registration table as aligned plain text."""
    header = ("SUBJECT", "VERSION", "ID", "REGISTRY VERSION", "STATUS")
    cells = [
        (
            r.subject,
            f"v{r.version}",
            "-" if r.schema_id is None else str(r.schema_id),
            "-" if r.registry_version is None else str(r.registry_version),
            str(r.status),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *cells]
    )


def _register(args: argparse.Namespace) -> int:
    settings = Settings()
    url = args.registry_url or settings.registry_url
    config = settings.registry_client_config() | {"url": url}
    print(f"registering the schema history with {url}", flush=True)
    client = SchemaRegistryClient(config)
    try:
        rows = register_history(client, load_subjects(), lambda line: print(f"  {line}", flush=True))
    except Exception as exc:  # the CLI boundary: transport errors come from several libraries
        print(f"error: cannot talk to the schema registry at {url}: {exc}", file=sys.stderr)
        return 2
    print()
    print(format_table(rows))
    failed = [r for r in rows if not r.ok and r.message]
    for row in failed:
        print(f"error: {row.subject} v{row.version}: {row.status}: {row.message}", file=sys.stderr)
    return 1 if failed else 0


def _check(args: argparse.Namespace) -> int:
    try:
        history = load_subjects()
    except SubjectsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from flux.schema_tools.gate import check_history  # noqa: PLC0415 - keep `flux --help` fast

    problems = check_history(history)
    for subject in history.subjects:
        mine = [p for p in problems if p.subject == subject.subject]
        mark = "FAIL" if mine else "ok"
        print(
            f"{mark:4}  {subject.subject}  {subject.format.value}  {subject.level}  v1..v{subject.latest.number}"
        )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    versions = sum(len(s.versions) for s in history.subjects)
    print(f"{len(history.subjects)} subjects, {versions} versions, {len(problems)} problem(s)")
    return 1 if problems else 0


def _docs(args: argparse.Namespace) -> int:
    return _emit(render_contracts_markdown(load_subjects()), args.write)


def _asyncapi(args: argparse.Namespace) -> int:
    try:
        document = build_asyncapi(load_catalogue(), load_subjects())
    except SubjectsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return _emit(render_asyncapi_json(document), args.write)


def _emit(text: str, write: str | None) -> int:
    """Print ``text``, or write it to ``write`` and say so."""
    if write is None:
        sys.stdout.write(text)
        return 0
    path = Path(write)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``flux schemas`` and its sub-commands to the CLI."""
    parser = subparsers.add_parser("schemas", help="register, check and document the schemas")
    commands = parser.add_subparsers(dest="schemas_command", metavar="SUBCOMMAND", required=True)
    reg = commands.add_parser("register", help="register every subject's versions in order with the registry")
    reg.add_argument("--registry-url", default=None, help="override FLUX_REGISTRY_URL")
    reg.set_defaults(func=_register)
    check = commands.add_parser("check", help="offline compatibility gate over the schema history")
    check.set_defaults(func=_check)
    docs = commands.add_parser("docs", help="render docs/contracts.md from the schemas")
    docs.add_argument("--write", metavar="PATH", default=None, help="write to PATH instead of stdout")
    docs.set_defaults(func=_docs)
    asyncapi = commands.add_parser(
        "asyncapi",
        help="render docs/asyncapi.json: AsyncAPI 3.0 of the topics and the BFF's Socket.IO events",
    )
    asyncapi.add_argument("--write", metavar="PATH", default=None, help="write to PATH instead of stdout")
    asyncapi.set_defaults(func=_asyncapi)
