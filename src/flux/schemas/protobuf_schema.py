"""Protobuf schemas: compiling ``.proto`` text with grpcio-tools' protoc, normalised identity.

Schemas arrive either as ``.proto`` text (what Confluent stores) or, as confluent-kafka's
Python serializer sends them, as a base64-encoded ``FileDescriptorProto``. Both become a
``FileDescriptorProto``; :mod:`flux.schemas.protobuf_compat` compares them for compatibility.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from google.protobuf import descriptor_pb2, descriptor_pool, text_format
from google.protobuf.message import DecodeError

from flux.schemas.errors import InvalidSchemaError, SchemaReferenceError

__all__ = ["ParsedProtobuf", "parse_protobuf", "proto_text_of"]

LOG = logging.getLogger(__name__)

MAIN_FILE: Final = "flux_registry_schema.proto"
_PROTOC_LOCK: Final = threading.Lock()
FDP = descriptor_pb2.FileDescriptorProto

# Prefixes of imports every client has built in (as confluent-kafka's _is_builtin).
BUILTIN_PREFIXES: Final = ("google/protobuf/", "google/type/", "confluent/")
_WELL_KNOWN_MODULES: Final = (
    "google.protobuf.any_pb2",
    "google.protobuf.api_pb2",
    "google.protobuf.descriptor_pb2",
    "google.protobuf.duration_pb2",
    "google.protobuf.empty_pb2",
    "google.protobuf.field_mask_pb2",
    "google.protobuf.source_context_pb2",
    "google.protobuf.struct_pb2",
    "google.protobuf.timestamp_pb2",
    "google.protobuf.type_pb2",
    "google.protobuf.wrappers_pb2",
    # registers confluent/*.proto and google/type/*.proto, as confluent-kafka's clients know them
    "confluent_kafka.schema_registry.common.protobuf",
)
_IMPORT: Final = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ParsedProtobuf:
    """A compiled Protobuf schema.

    Attributes:
        file: the schema's own ``FileDescriptorProto`` (no source info).
        dependencies: descriptors of every imported file, by import path.
        normalized: text form of ``file`` with comments, whitespace and declaration
            order removed (fields sorted by number, types by name): the identity.
        from_descriptor: the schema arrived as a base64 descriptor rather than ``.proto`` text.
    """

    file: descriptor_pb2.FileDescriptorProto
    dependencies: Mapping[str, descriptor_pb2.FileDescriptorProto]
    normalized: str
    from_descriptor: bool = False

    def serialized_base64(self) -> str:
        """The descriptor as confluent-kafka's serializers exchange it (``format=serialized``)."""
        return base64.standard_b64encode(self.file.SerializeToString()).decode("ascii")


def _builtin_descriptor(name: str) -> descriptor_pb2.FileDescriptorProto | None:
    """The descriptor of a file every client has built in (``google/type/money.proto``...), if known."""
    if not name.startswith(BUILTIN_PREFIXES):
        return None
    for module in _WELL_KNOWN_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
    try:
        found = descriptor_pool.Default().FindFileByName(name)
    except KeyError:
        return None
    proto = FDP()
    found.CopyToProto(proto)
    return proto


def _decode_descriptor(text: str) -> descriptor_pb2.FileDescriptorProto | None:
    """Return the descriptor when ``text`` is a base64 ``FileDescriptorProto``, else None."""
    stripped = text.strip()
    if not stripped or any(c.isspace() for c in stripped) or "{" in stripped or ";" in stripped:
        return None
    try:
        raw = base64.b64decode(stripped, validate=True)
        proto = FDP()
        proto.ParseFromString(raw)
    except (binascii.Error, ValueError, DecodeError):
        return None
    if not (proto.message_type or proto.enum_type or proto.syntax or proto.package):
        return None
    return proto


@contextmanager
def _captured_stderr() -> Iterator[IO[bytes]]:
    """Send file descriptor 2 to a temporary file (protoc writes its errors there)."""
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield sink
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _grpc_include() -> str:
    import grpc_tools  # noqa: PLC0415

    return str(Path(grpc_tools.__file__).parent / "_proto")


def _builtin_imports(texts: list[str], provided: set[str]) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Descriptors of built-in files imported by ``texts`` that protoc's include path lacks (with deps)."""
    found: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    pending = [name for text in texts for name in _IMPORT.findall(text)]
    while pending:
        name = pending.pop()
        if name in found or name in provided or name.startswith("google/protobuf/"):
            continue
        proto = _builtin_descriptor(name)
        if proto is not None:
            found[name] = proto
            pending.extend(proto.dependency)
    return found


def _compile_text(
    text: str, text_refs: Mapping[str, str], descriptor_refs: Mapping[str, descriptor_pb2.FileDescriptorProto]
) -> descriptor_pb2.FileDescriptorSet:
    from grpc_tools import protoc  # noqa: PLC0415

    builtins = _builtin_imports([text, *text_refs.values()], set(text_refs) | set(descriptor_refs))
    if builtins:
        descriptor_refs = {**builtins, **descriptor_refs}

    with tempfile.TemporaryDirectory(prefix="flux-protoc-") as tmp:
        root = Path(tmp) / "src"
        root.mkdir()
        for name, ref_text in text_refs.items():
            target = (root / name).resolve()
            if not target.is_relative_to(root.resolve()):
                raise SchemaReferenceError(
                    f"Invalid Protobuf schema: reference name {name!r} escapes the tree"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(ref_text, encoding="utf-8")
        (root / MAIN_FILE).write_text(text, encoding="utf-8")
        out = Path(tmp) / "out.pb"
        args = [
            "protoc",
            f"-I{root}",
            f"-I{_grpc_include()}",
            f"--descriptor_set_out={out}",
            "--include_imports",
        ]
        if descriptor_refs:
            given = descriptor_pb2.FileDescriptorSet(file=list(descriptor_refs.values()))
            given_path = Path(tmp) / "refs.pb"
            given_path.write_bytes(given.SerializeToString())
            args.append(f"--descriptor_set_in={given_path}")
        args.append(MAIN_FILE)
        with _PROTOC_LOCK, _captured_stderr() as sink:
            status = protoc.main(args)
            sink.seek(0)
            errors = sink.read().decode("utf-8", errors="replace")
        if status != 0 or not out.exists():
            detail = errors.replace(str(root) + "/", "").strip() or "protoc failed"
            raise InvalidSchemaError(f"Invalid Protobuf schema: {detail}")
        result = descriptor_pb2.FileDescriptorSet()
        result.ParseFromString(out.read_bytes())
        return result


def _validate_descriptors(
    main: descriptor_pb2.FileDescriptorProto, deps: Mapping[str, descriptor_pb2.FileDescriptorProto]
) -> None:
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(proto: descriptor_pb2.FileDescriptorProto, trail: tuple[str, ...]) -> None:
        if proto.name in added:
            return
        if proto.name in trail:
            raise SchemaReferenceError(f"Invalid Protobuf schema: import cycle through {proto.name!r}")
        for dep in proto.dependency:
            dep_proto = deps.get(dep) or _builtin_descriptor(dep)
            if dep_proto is None:
                raise SchemaReferenceError(f"Invalid Protobuf schema: import {dep!r} is not a reference")
            add(dep_proto, (*trail, proto.name))
        try:
            pool.Add(proto)
        except (TypeError, ValueError) as exc:
            raise InvalidSchemaError(f"Invalid Protobuf schema: {exc}") from None
        added.add(proto.name)

    add(main, ())


def _default_json_name(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _sorted_message(message: descriptor_pb2.DescriptorProto) -> None:
    for field in message.field:
        if field.HasField("json_name") and field.json_name == _default_json_name(field.name):
            field.ClearField("json_name")  # protoc fills it in; generated code's descriptors omit it
    fields = sorted(message.field, key=lambda f: f.number)
    del message.field[:]
    message.field.extend(fields)
    for nested in message.nested_type:
        _sorted_message(nested)
    for container in (message.nested_type, message.enum_type):
        items = sorted(container, key=lambda m: m.name)
        del container[:]
        container.extend(items)


def _normalized(proto: descriptor_pb2.FileDescriptorProto) -> str:
    copy = FDP()
    copy.CopyFrom(proto)
    copy.ClearField("source_code_info")
    copy.ClearField("name")
    for message in copy.message_type:
        _sorted_message(message)
    for container in (copy.message_type, copy.enum_type, copy.service):
        items = sorted(container, key=lambda m: m.name)
        del container[:]
        container.extend(items)
    deps = sorted(copy.dependency)
    del copy.dependency[:]
    copy.dependency.extend(deps)
    if copy.syntax == "proto2":
        copy.ClearField("syntax")
    return str(text_format.MessageToString(copy, as_one_line=True))


def parse_protobuf(text: str, references: Mapping[str, str] | None = None) -> ParsedProtobuf:
    """Compile Protobuf schema text (``.proto`` text or base64 ``FileDescriptorProto``).

    Args:
        text: the schema.
        references: imported files' schemas by import path (text or base64 descriptors).

    Raises:
        InvalidSchemaError: when the schema does not compile or an import is unknown.
    """
    references = references or {}
    text_refs: dict[str, str] = {}
    descriptor_refs: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for name, ref_text in references.items():
        decoded = _decode_descriptor(ref_text)
        if decoded is None:
            text_refs[name] = ref_text
        else:
            decoded.name = name
            descriptor_refs[name] = decoded
    decoded_main = _decode_descriptor(text)
    if decoded_main is not None:
        decoded_main.name = decoded_main.name or MAIN_FILE
        deps = dict(descriptor_refs)
        if text_refs:
            # compile the text references (with each other) into descriptors first
            importer = 'syntax = "proto3";\n' + "".join(f"import {json.dumps(n)};\n" for n in text_refs)
            compiled_refs = _compile_text(importer, text_refs, descriptor_refs)
            deps.update({f.name: f for f in compiled_refs.file if f.name != MAIN_FILE})
        _validate_descriptors(decoded_main, deps)
        main = decoded_main
    else:
        compiled = _compile_text(text, text_refs, descriptor_refs)
        by_name = {f.name: f for f in compiled.file}
        main = by_name.pop(MAIN_FILE)
        main.ClearField("source_code_info")
        deps = by_name
    return ParsedProtobuf(
        file=main, dependencies=deps, normalized=_normalized(main), from_descriptor=decoded_main is not None
    )


def proto_text_of(parsed: ParsedProtobuf, references: Mapping[str, str] | None = None) -> str | None:
    """``.proto`` text for a schema that arrived as a descriptor, when it compiles back to the same
    normalised descriptor (None otherwise: the caller keeps the descriptor)."""
    from flux.schemas.protobuf_text import UnsupportedDescriptorError, render_proto  # noqa: PLC0415

    try:
        text = render_proto(parsed.file)
        again = parse_protobuf(text, references)
    except (UnsupportedDescriptorError, InvalidSchemaError) as exc:
        LOG.info("keeping a Protobuf descriptor as given", extra={"reason": str(exc)})
        return None
    return text if again.normalized == parsed.normalized else None
