"""Optional HTTP basic auth with read-only and read-write users.

Users come from a file (one ``username:password:role`` per line, ``#`` comments) or from the
``FLUX_REGISTRY_USERS`` environment variable (the same entries separated by commas or newlines).
``role`` is ``read-only`` or ``read-write``. Passwords are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["Role", "UserTable", "parse_users"]


class Role(StrEnum):
    READ_ONLY = "read-only"
    READ_WRITE = "read-write"


@dataclass(frozen=True, slots=True)
class _User:
    password: str
    role: Role


class UserTable:
    """Known users; :meth:`authenticate` returns the role of valid credentials."""

    def __init__(self, users: dict[str, tuple[str, Role]]) -> None:
        self._users = {name: _User(password, role) for name, (password, role) in users.items()}

    def __len__(self) -> int:
        return len(self._users)

    def authenticate(self, authorization: str | None) -> Role | None:
        """Role for an ``Authorization: Basic ...`` header value, or None when invalid."""
        if not authorization or not authorization.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        name, sep, password = decoded.partition(":")
        user = self._users.get(name)
        if not sep or user is None:
            return None
        if not hmac.compare_digest(user.password.encode(), password.encode()):
            return None
        return user.role

    @classmethod
    def from_file(cls, path: Path) -> UserTable:
        return cls(parse_users(path.read_text(encoding="utf-8")))

    @classmethod
    def from_text(cls, text: str) -> UserTable:
        return cls(parse_users(text.replace(",", "\n")))


def parse_users(text: str) -> dict[str, tuple[str, Role]]:
    """Parse ``username:password:role`` lines.

    Raises:
        ValueError: naming the line that is malformed.
    """
    users: dict[str, tuple[str, Role]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        name, _, rest = entry.partition(":")
        password, _, role = rest.rpartition(":")
        if not name or not password:
            raise ValueError(f"users line {number}: expected username:password:role")
        try:
            users[name] = (password, Role(role.strip().lower()))
        except ValueError:
            raise ValueError(f"users line {number}: role must be read-only or read-write") from None
    return users
