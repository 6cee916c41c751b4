"""Errors of the dev stack, each phrased as what went wrong and what to do about it."""

from __future__ import annotations

__all__ = ["DevStackError"]


class DevStackError(RuntimeError):
    """The stack cannot start or stop; the message says why and what to do next."""
