"""Basic-auth user table: parsing and constant-time checks."""

from __future__ import annotations

import base64

import pytest

from flux.registry.api.auth import Role, UserTable, parse_users


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_parse_and_authenticate() -> None:
    table = UserTable.from_text("ci:tok:en:read-write, viewer:v:READ-ONLY")
    assert len(table) == 2
    assert table.authenticate(header("ci", "tok:en")) is Role.READ_WRITE
    assert table.authenticate(header("viewer", "v")) is Role.READ_ONLY
    assert table.authenticate(header("viewer", "x")) is None
    assert table.authenticate(header("nobody", "v")) is None
    assert table.authenticate("Bearer abc") is None
    assert table.authenticate("Basic %%%") is None
    assert table.authenticate(None) is None


@pytest.mark.parametrize("text", ["justname", "a:b:admin", ":pw:read-only"])
def test_bad_lines_name_the_line(text: str) -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_users(text)


def test_comments_and_blank_lines() -> None:
    assert parse_users("# users\n\nops:pw:read-write\n") == {"ops": ("pw", Role.READ_WRITE)}
