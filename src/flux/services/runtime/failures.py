"""What a service's command handler may raise to say "this command is bad": dead-letter it, never retry.

Which failures are retried at all is decided once for every consumer, by
:func:`flux.resilience.failures.is_transient`.
"""

from __future__ import annotations

__all__ = ["CommandRejected"]


class CommandRejected(ValueError):
    """A command decoded fine but its content is invalid (e.g. latitude out of range): dead-letter it."""
