"""Protobuf schema → ``_pb2.py`` module and ``.pyi`` stub through grpcio-tools' bundled protoc."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from grpc_tools import protoc

__all__ = ["ProtocError", "compile_proto"]

LOG = logging.getLogger(__name__)

# The .proto is compiled as if it lived next to the generated module, so the descriptor's file name
# and the messages' __module__ both match the import path flux.contracts.generated.<name>_pb2.
PACKAGE_PATH = Path("flux") / "contracts" / "generated"
# protobuf ships no type stubs, so mypy sees google.protobuf.message.Message as Any: the stub's
# classes subclass Any ("misc") and protoc writes a bare Mapping ("type-arg"). Only those two codes
# are silenced, only in the generated stub; every field and constructor stays typed.
STUB_MYPY_LINE = '# mypy: disable-error-code="misc,type-arg"\n'


class ProtocError(RuntimeError):
    """protoc rejected the schema."""


def compile_proto(text: str, module_name: str, header: str) -> dict[str, str]:
    """Compile ``text`` as ``<module_name>.proto``; return ``{file name: content}`` of the outputs."""
    with tempfile.TemporaryDirectory(prefix="flux-protoc-") as tmp:
        root = Path(tmp)
        source = root / "in" / PACKAGE_PATH / f"{module_name}.proto"
        source.parent.mkdir(parents=True)
        source.write_text(text, encoding="utf-8")
        out = root / "out"
        out.mkdir()
        args = [
            "grpc_tools.protoc",
            f"-I{root / 'in'}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            (PACKAGE_PATH / f"{module_name}.proto").as_posix(),
        ]
        LOG.debug("protoc %s", " ".join(args[1:]))
        if protoc.main(args) != 0:
            raise ProtocError(f"protoc failed on {module_name}.proto (see its message above)")
        produced = {}
        for suffix in ("_pb2.py", "_pb2.pyi"):
            path = out / PACKAGE_PATH / f"{module_name}{suffix}"
            prefix = header + (STUB_MYPY_LINE if suffix == "_pb2.pyi" else "")
            produced[path.name] = prefix + path.read_text(encoding="utf-8")
        return produced
