"""``flux dev``: the stack logs in the console format unless FLUX_LOG_FORMAT is set."""

from __future__ import annotations

import pytest

from flux.cli.dev import dev_settings
from flux.settings import LogFormat


def test_console_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUX_LOG_FORMAT", raising=False)
    assert dev_settings().log_format is LogFormat.CONSOLE


def test_an_explicit_format_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_LOG_FORMAT", "json")
    assert dev_settings().log_format is LogFormat.JSON
    assert dev_settings({"FLUX_LOG_FORMAT": "json"}).log_format is LogFormat.JSON
