"""Qualified subjects, as Confluent writes them: ``:.context:subject`` names ``subject`` in a context.

The default context is ``.``; its subjects are stored and listed by their plain names (``:.:s`` is
``s``). A context's own config and mode live under ``:.context:`` (the context with no subject).
Schema ids are allocated per context, and a reference without a context resolves in the context
of the schema that makes it, as Confluent qualifies references with their parent's context.

Example:
    >>> context_of(":.orders:prices-value"), normalize(":.:prices-value")
    ('.orders', 'prices-value')
    >>> qualify_in("money-value", ".orders")
    ':.orders:money-value'
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CONTEXT_WILDCARD",
    "DEFAULT_CONTEXT",
    "context_key",
    "context_of",
    "is_context_only",
    "local_name",
    "normalize",
    "qualify_in",
]

DEFAULT_CONTEXT: Final = "."
# Confluent's subjectPrefix default: subjects of every context.
CONTEXT_WILDCARD: Final = ":*:"


def _split(subject: str) -> tuple[str, str] | None:
    if not subject.startswith(":"):
        return None
    end = subject.find(":", 1)
    if end < 0:
        return None
    context = subject[1:end] or DEFAULT_CONTEXT
    if not context.startswith("."):
        context = "." + context
    return context, subject[end + 1 :]


def context_of(subject: str | None) -> str:
    """The context a (possibly qualified) subject is in."""
    parts = None if subject is None else _split(subject)
    return DEFAULT_CONTEXT if parts is None else parts[0]


def local_name(subject: str) -> str:
    """The subject's name inside its context."""
    parts = _split(subject)
    return subject if parts is None else parts[1]


def normalize(subject: str) -> str:
    """The stored form: plain for the default context, ``:.ctx:name`` otherwise."""
    parts = _split(subject)
    if parts is None:
        return subject
    context, name = parts
    return name if context == DEFAULT_CONTEXT else f":{context}:{name}"


def qualify_in(subject: str, context: str) -> str:
    """``subject`` in ``context`` unless it names a context of its own."""
    if _split(subject) is not None or context == DEFAULT_CONTEXT:
        return normalize(subject)
    return f":{context}:{subject}"


def context_key(context: str) -> str | None:
    """Where a context's own config and mode are kept (None: the global ones)."""
    return None if context == DEFAULT_CONTEXT else f":{context}:"


def is_context_only(subject: str) -> bool:
    """True for ``:.ctx:`` (a context without a subject name)."""
    parts = _split(subject)
    return parts is not None and parts[1] == ""
