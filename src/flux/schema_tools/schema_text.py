"""How people read a registered schema, and the difference between two versions.

Shared by ``flux registry show|diff`` (:mod:`flux.cli.registry_inspect`) and the BFF's contracts
browser (:mod:`flux.bff.contracts_api`), so the terminal and the page show the same text and the
same diff. Avro schemas are printed as indented JSON (field order kept), Protobuf schemas as their
text; the diff is a unified diff of the two printed texts.

Example:
    >>> print(pretty_schema('{"type":"record","name":"A","fields":[]}', "AVRO"))
    {
      "type": "record",
      "name": "A",
      "fields": []
    }
    >>> diff = unified_schema_diff("a\\nb\\n", "PROTOBUF", "a\\nc\\n", "PROTOBUF", from_label="v1", to_label="v2")
    >>> [(line.op, line.text) for line in diff_lines(diff)][1:]
    [(' ', 'a'), ('-', 'b'), ('+', 'c')]
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["DiffLine", "diff_lines", "pretty_schema", "unified_schema_diff"]

DiffOp = Literal["@", "+", "-", " "]
_LINE_OPS: Final[dict[str, DiffOp]] = {"+": "+", "-": "-", " ": " "}


def pretty_schema(text: str, schema_type: str) -> str:
    """The schema as people read it: indented JSON for Avro, the ``.proto`` text otherwise."""
    if schema_type.upper() == "AVRO":
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return text.rstrip()


def unified_schema_diff(
    old_text: str,
    old_type: str,
    new_text: str,
    new_type: str,
    *,
    from_label: str,
    to_label: str,
    context: int = 3,
) -> str:
    """A unified diff of two schemas as :func:`pretty_schema` prints them (empty when they print the
    same); every line ends with a newline."""
    lines = difflib.unified_diff(
        pretty_schema(old_text, old_type).splitlines(keepends=True),
        pretty_schema(new_text, new_type).splitlines(keepends=True),
        fromfile=from_label,
        tofile=to_label,
        n=context,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a diff: ``op`` is ``@`` (a hunk header), ``+`` (added), ``-`` (removed) or ``" "``."""

    op: DiffOp
    text: str

    def to_json(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


def diff_lines(unified: str) -> list[DiffLine]:
    """The lines of a :func:`unified_schema_diff` without its ``---``/``+++`` file header."""
    found: list[DiffLine] = []
    lines = unified.splitlines()
    if len(lines) >= 2 and lines[0].startswith("--- ") and lines[1].startswith("+++ "):
        lines = lines[2:]
    for line in lines:
        if line.startswith("@@"):
            found.append(DiffLine("@", line))
            continue
        found.append(DiffLine(_LINE_OPS.get(line[:1], " "), line[1:]))
    return found
