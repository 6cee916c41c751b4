"""The outcome of a contract's WRITE rules, remembered per value of the fields the rules read.

A snapshot service publishes the same content under new envelopes again and again: a city's
reading to every command for it within 30 s, the same headlines between refreshes. Only the
envelope (``event_id``, ``produced_at``, ``correlation_id``) differs, and no rule of Flux's
contracts reads it. Running eight rules on such a record costs about 20 µs each in bookkeeping even
when every verdict is remembered (:class:`~flux.serde.rule_executors.VerdictMemo`); this memo
answers the whole phase with one lookup.

It applies to an Avro contract's WRITE phase only when the outcome is a function of named
top-level fields, which holds when every rule that runs on WRITE is

* a ``CEL`` ``CONDITION`` whose expression reads only ``message.<field>`` and not ``now``
  (:func:`~flux.serde.rule_executors.memo_fields`), or
* a ``CEL_FIELD`` rule with ``tags`` whose expression reads neither ``message`` nor ``now``: it
  sees only the tagged fields, which lie under the top-level fields its pruned walk keeps
  (:meth:`~flux.serde.contract_rules._AvroVersion.walked`),

and none has an ``onSuccess`` action other than ``NONE``. Anything else (a JSONata rule, a CEL
``TRANSFORM`` of the whole message, a rule reading ``now``) leaves the phase to run in full, as does
a record carrying a ``__rule.name`` header (it is being replayed past a rule). Only passing
outcomes are remembered: a record that breaks a rule runs every rule, so it is refused, logged and
counted each time. On a hit the remembered values of the fields the field rules transformed are put
back into the record; they are shared between records, which is safe because a WRITE datum is
encoded and dropped (the read side never uses this memo).

Example:
    >>> memo = WriteMemo(reads=("data",), transforms=("data",))
    >>> memo.key({"event_id": 1, "data": {"lat": 1.234}})
    (('{', (('lat', (<class 'float'>, 1.234)),)),)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any, Final

from confluent_kafka.schema_registry.schema_registry_client import Rule, RuleKind, RuleMode

from flux.serde.rule_executors import freeze, memo_fields

__all__ = ["CAPACITY", "WriteMemo", "write_memo_for"]

CAPACITY: Final = 1024
"""Outcomes kept per contract; cleared when full (a bound, not a working set)."""

_MESSAGE: Final = re.compile(r"\bmessage\b")
_NOW: Final = re.compile(r"\bnow\b")


class WriteMemo:
    """Remembered WRITE outcomes of one contract version (see the module docs).

    Args:
        reads: the top-level fields the outcome depends on.
        transforms: those of them the field rules may change (their results are remembered).
        capacity: outcomes kept before the memo is cleared.
    """

    __slots__ = ("_lock", "_outcomes", "capacity", "hits", "reads", "transforms")

    def __init__(self, reads: Sequence[str], transforms: Sequence[str], capacity: int = CAPACITY) -> None:
        self.reads = tuple(sorted(set(reads) | set(transforms)))
        self.transforms = tuple(sorted(set(transforms)))
        self.capacity = capacity
        self.hits = 0
        self._outcomes: dict[Any, tuple[tuple[str, Any], ...]] = {}
        self._lock = threading.Lock()

    def key(self, message: dict[str, Any]) -> Any | None:
        """The memo key of ``message``, or None when a value in it cannot be hashed."""
        key = tuple(freeze(message.get(name)) for name in self.reads)
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def recall(self, key: Any, message: dict[str, Any]) -> bool:
        """Put the remembered outcome of ``key`` into ``message``; False when there is none."""
        outcome = self._outcomes.get(key)
        if outcome is None:
            return False
        for name, value in outcome:
            message[name] = value
        self.hits += 1
        return True

    def remember(self, key: Any, result: dict[str, Any]) -> None:
        """Remember that the rules passed with ``result`` (the record after the rules)."""
        outcome = tuple((name, result.get(name)) for name in self.transforms if name in result)
        with self._lock:
            if len(self._outcomes) >= self.capacity:
                self._outcomes.clear()
            self._outcomes[key] = outcome


def _applies_on_write(rule: Rule) -> bool:
    return not rule.disabled and rule.mode in (RuleMode.WRITE, RuleMode.WRITEREAD)


def write_memo_for(rules: Sequence[Rule], top_fields_of: Any) -> WriteMemo | None:
    """The memo of a WRITE phase running ``rules`` (its domain rules, in order), or None when its
    outcome is not a function of named fields; ``top_fields_of(tags)`` gives the top-level fields a
    field rule with ``tags`` can reach."""
    reads: set[str] = set()
    transforms: set[str] = set()
    running = [r for r in rules if _applies_on_write(r)]
    if not running:
        return None
    for rule in running:
        expr, kind = rule.expr or "", rule.kind
        if (rule.on_success or "NONE").split(",")[0].strip() != "NONE" or _NOW.search(expr):
            return None
        rule_type = (rule.type or "").upper()
        if rule_type == "CEL" and kind == RuleKind.CONDITION:
            fields = memo_fields(expr)
            if fields is None:
                return None
            reads.update(fields)
        elif rule_type == "CEL_FIELD" and rule.tags and not _MESSAGE.search(expr):
            reached = top_fields_of(rule.tags)
            reads.update(reached)
            if kind == RuleKind.TRANSFORM:
                transforms.update(reached)
        else:
            return None
    return WriteMemo(sorted(reads), sorted(transforms))
