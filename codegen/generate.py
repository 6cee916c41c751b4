"""Build the full set of generated files in memory, then write them or compare them with the tree."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Final

from codegen.avro_python import HEADER, ModuleSpec, render_module
from codegen.data_contracts import render_data_contracts
from codegen.protobuf import compile_proto
from flux.paths import project_root
from flux.schema_tools.subjects import SchemaFormat, SchemaHistory, load_subjects

__all__ = ["GENERATED_DIR", "check_tree", "generate_all", "write_tree"]

LOG = logging.getLogger(__name__)

GENERATED_DIR: Final = Path("src") / "flux" / "contracts" / "generated"
PACKAGE_DOC: Final = (
    HEADER.format(source="schemas/compatibility.yaml and schemas/")
    + '"""Generated contracts, one module per subject. Import them through :mod:`flux.contracts`."""\n'
)


def generate_all(history: SchemaHistory | None = None) -> dict[str, str]:
    """Return ``{file name: content}`` for every generated file, deterministically."""
    history = history or load_subjects()
    topics = "".join(f"    {s.module_name!r}: {s.topic!r},\n" for s in history.subjects)
    files: dict[str, str] = {
        "__init__.py": PACKAGE_DOC
        + "\nfrom typing import Final\n\n__all__ = ['TOPIC_OF_MODULE']\n\n"
        + "TOPIC_OF_MODULE: Final[dict[str, str]] = {\n"
        + topics
        + '}\n"""Generated module name → the topic its schema describes."""\n'
    }
    for subject in history.subjects:
        latest = subject.latest
        if subject.format is SchemaFormat.AVRO:
            spec = ModuleSpec(
                source=latest.relative_path,
                schema=latest.avro_json(),
                schema_text=latest.text,
                topic=subject.topic,
                subject=subject.subject,
                version=latest.number,
            )
            files[f"{subject.module_name}.py"] = render_module(spec)
        else:
            header = HEADER.format(source=latest.relative_path)
            files.update(compile_proto(latest.text, subject.module_name, header))
    files["data_contracts.py"] = render_data_contracts(history)
    return dict(sorted(files.items()))


def _existing(target: Path) -> dict[str, str]:
    if not target.is_dir():
        return {}
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(target.iterdir())
        if p.is_file() and p.suffix in (".py", ".pyi")
    }


_DESCRIPTOR_BLOB: Final = re.compile(r"AddSerializedFile\((b'.*?')\)", re.DOTALL)


def _same_protobuf(name: str, wanted: dict[str, str], have: dict[str, str]) -> bool:
    """True when a ``_pb2`` module (or its stub) encodes the same descriptor as freshly generated code.

    protoc's output also records protoc's own version; a CI machine with a newer grpcio-tools writes
    different text for the same schema. The serialized descriptor is what the schema determines.
    """
    module = name.removesuffix("i") if name.endswith("_pb2.pyi") else name
    if not module.endswith("_pb2.py") or module not in have:
        return False
    ours, theirs = _DESCRIPTOR_BLOB.search(wanted[module]), _DESCRIPTOR_BLOB.search(have[module])
    return ours is not None and theirs is not None and ours.group(1) == theirs.group(1)


def check_tree(root: Path | None = None) -> list[str]:
    """Return one line per generated file that is stale, missing or unexpected (empty: up to date)."""
    target = (root or project_root()) / GENERATED_DIR
    wanted = generate_all()
    have = _existing(target)
    problems = [f"missing: {GENERATED_DIR / n}" for n in wanted if n not in have]
    problems += [
        f"stale: {GENERATED_DIR / n}"
        for n in wanted
        if n in have and have[n] != wanted[n] and not _same_protobuf(n, wanted, have)
    ]
    problems += [f"not generated from any schema: {GENERATED_DIR / n}" for n in have if n not in wanted]
    return problems


def write_tree(root: Path | None = None) -> list[str]:
    """Write the generated files (removing ones no schema produces); return the names changed."""
    target = (root or project_root()) / GENERATED_DIR
    target.mkdir(parents=True, exist_ok=True)
    wanted = generate_all()
    have = _existing(target)
    changed = []
    for name, content in wanted.items():
        if have.get(name) != content:
            (target / name).write_text(content, encoding="utf-8")
            changed.append(name)
    for name in have:
        if name not in wanted:
            (target / name).unlink()
            changed.append(name)
    return changed
