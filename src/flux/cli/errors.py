"""Exit codes of the ``flux`` command and the one error a command raises to end with one of them.

A command raises :class:`CliError` for every expected failure (unknown topic, registry down, ...);
:func:`flux.cli.main.main` prints it as one line, ``flux: error: <message>``, on stderr and exits
with its code. Tracebacks are for bugs only.

Example:
    >>> err = CliError("subject 'x-value' not found", ExitCode.NOT_FOUND)
    >>> (str(err), int(err.code))
    ("subject 'x-value' not found", 3)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import IntEnum

__all__ = ["CliError", "ExitCode", "with_close_matches"]


class ExitCode(IntEnum):
    """What the exit status of a ``flux`` command means (documented in ``docs/cli.md``)."""

    OK = 0
    FAILED = 1
    """The operation ran and failed (a refused write, an aborted confirmation, a failed delivery)."""
    USAGE = 2
    """The command line is wrong (argparse's own code), or it cannot be run this way (no TTY to ask)."""
    NOT_FOUND = 3
    """An unknown topic, dead-letter topic, subject or version."""
    UNAVAILABLE = 4
    """The Kafka broker or the schema registry cannot be reached in time."""


class CliError(Exception):
    """An expected failure: printed as one line, ending the command with ``code``."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.code = code


def with_close_matches(message: str, word: str, candidates: Iterable[str], *, limit: int = 3) -> str:
    """Append ``(did you mean: a, b?)`` to ``message`` when ``candidates`` holds names close to ``word``.

    Args:
        message: The error text.
        word: What the user typed.
        candidates: The known names.
        limit: How many suggestions at most.

    Returns:
        ``message`` with the suggestions, or unchanged when nothing is close.
    """
    names = list(candidates)
    close = difflib.get_close_matches(word, names, n=limit, cutoff=0.6)
    if not close:
        close = [n for n in names if word and word in n][:limit]
    return f"{message} (did you mean: {', '.join(close)}?)" if close else message
