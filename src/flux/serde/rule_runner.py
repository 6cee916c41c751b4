"""Running one phase of a contract's rules over one record, as confluent-kafka's serdes do.

The order and semantics are those of ``BaseSerde._execute_rules_with_phase`` in confluent-kafka
(and of Confluent's Java client it follows):

* which rules: domain rules for WRITE and READ (READ runs them in reverse order, for symmetry),
  the target version's migration rules for UPGRADE, the source version's in reverse for DOWNGRADE;
* a rule runs when its mode is the mode being run, or WRITEREAD for WRITE/READ, or UPDOWN for
  UPGRADE/DOWNGRADE; ``disabled`` rules and the rule a dead-lettered record is being replayed past
  (its ``__rule.name`` header) are skipped;
* a TRANSFORM's result replaces the message; a CONDITION that is not true, or any rule whose
  executor raises, has failed;
* then the action: ``onSuccess`` (default NONE) or ``onFailure`` (default ERROR); a paired action
  ``"W,R"`` of a WRITEREAD or UPDOWN rule gives its first part to WRITE/UPGRADE, its second to
  READ/DOWNGRADE. A rule without a type, or of a type without executor, has failed with ERROR.

What differs is the end: Flux's serde does no I/O, so ``ERROR`` and ``DLQ`` both raise
:class:`RuleViolation` naming the subject, rule and action, and the caller produces nothing (or
uses nothing) and dead-letters the record; ``NONE`` lets the record through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

from confluent_kafka.schema_registry.schema_registry_client import Rule, RuleKind, RuleMode, Schema
from confluent_kafka.schema_registry.serde import DLQ_RULE_NAME_HEADER, RuleConditionError, RuleContext
from confluent_kafka.serialization import MessageField, SerializationContext

from flux.serde.errors import RuleViolation
from flux.serde.field_walk import TaggedRuleContext
from flux.serde.rule_executors import RuleExecutors

__all__ = ["FieldTransformer", "RuleRunner", "rules_for"]

LOG = logging.getLogger(__name__)

FieldTransformer = Callable[[RuleContext, Any, Any], Any]
Headers = Sequence[tuple[str, bytes | str | None]]

_WRITE_SIDE: Final = (RuleMode.WRITE, RuleMode.UPGRADE)
_READ_SIDE: Final = (RuleMode.READ, RuleMode.DOWNGRADE)


def rules_for(mode: RuleMode, source: Schema | None, target: Schema | None) -> list[Rule]:
    """The rules a phase runs, in order (Confluent's selection; see the module docs)."""
    if mode == RuleMode.UPGRADE:
        rule_set = target.rule_set if target is not None else None
        return list(rule_set.migration_rules or []) if rule_set is not None else []
    if mode == RuleMode.DOWNGRADE:
        rule_set = source.rule_set if source is not None else None
        return list(reversed(rule_set.migration_rules or [])) if rule_set is not None else []
    rule_set = target.rule_set if target is not None else None
    rules = list(rule_set.domain_rules or []) if rule_set is not None else []
    return list(reversed(rules)) if mode == RuleMode.READ else rules


def _applies(rule: Rule, mode: RuleMode) -> bool:
    if rule.mode == RuleMode.WRITEREAD:
        return mode in (RuleMode.WRITE, RuleMode.READ)
    if rule.mode == RuleMode.UPDOWN:
        return mode in (RuleMode.UPGRADE, RuleMode.DOWNGRADE)
    return bool(rule.mode == mode)


def _action_name(rule: Rule, mode: RuleMode, action: str | None) -> str | None:
    if not action:
        return None
    if rule.mode in (RuleMode.WRITEREAD, RuleMode.UPDOWN) and "," in action:
        parts = action.split(",")
        if mode in _WRITE_SIDE:
            return parts[0].strip()
        if mode in _READ_SIDE:
            return parts[1].strip()
    return action.strip()


def _replayed_past(headers: Headers | None, rule: Rule) -> bool:
    if not headers or rule.name is None:
        return False
    value: Any = None
    for key, item in headers:
        if key == DLQ_RULE_NAME_HEADER:
            value = item
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return isinstance(value, str) and value == rule.name


def _reason(rule: Rule, error: BaseException | None) -> str:
    if error is None or isinstance(error, RuleConditionError):
        return rule.doc or (f"Rule expr failed: {rule.expr}" if rule.expr else f"Rule failed: {rule.name}")
    return f"{type(error).__name__}: {error}"


class RuleRunner:
    """Runs rule phases with one set of executors (one per serde; shared by every contract).

    Args:
        executors: confluent-kafka's executors behind Flux's adapter.
    """

    __slots__ = ("executors",)

    def __init__(self, executors: RuleExecutors | None = None) -> None:
        self.executors = executors or RuleExecutors()

    def run(
        self,
        *,
        subject: str,
        topic: str,
        mode: RuleMode,
        source: Schema | None,
        target: Schema | None,
        message: Any,
        inline_tags: dict[str, set[str]] | None = None,
        field_transformer: FieldTransformer | None = None,
        headers: Headers | None = None,
    ) -> Any:
        """Run the rules of ``mode`` over ``message``; return it (transformed).

        Raises:
            RuleViolation: a rule failed (or succeeded) with the action ERROR or DLQ.
        """
        if message is None or target is None:
            return message
        rules = rules_for(mode, source, target)
        if not rules:
            return message
        ser_ctx = SerializationContext(topic, MessageField.VALUE, list(headers) if headers else None)
        frozen: dict[str, Any] = {}  # the record's frozen fields, until a transform changes the record
        for index, rule in enumerate(rules):
            if rule.disabled or _replayed_past(headers, rule) or not _applies(rule, mode):
                continue
            ctx = TaggedRuleContext(
                None,
                ser_ctx,
                source,
                target,
                subject,
                mode,
                rule,
                index,
                rules,
                inline_tags,
                field_transformer,
                frozen=frozen,
            )
            executor = self.executors.get(rule.type) if rule.type else None
            if executor is None:
                missing = RuntimeError(f"no executor for rule type {rule.type!r}")
                self._act(
                    subject=subject,
                    mode=mode,
                    rule=rule,
                    action=rule.on_failure,
                    error=missing,
                    default="ERROR",
                )
                return message
            try:
                result = executor.transform(ctx, message)
                if rule.kind == RuleKind.CONDITION:
                    if not result:
                        raise RuleConditionError(rule)
                elif rule.kind == RuleKind.TRANSFORM:
                    message = result
                    frozen = {}
            except RuleViolation:
                raise
            except Exception as exc:  # any executor failure is the rule's failure (Confluent's semantics)
                self._act(
                    subject=subject, mode=mode, rule=rule, action=rule.on_failure, error=exc, default="ERROR"
                )
                continue
            if message is None:
                self._act(
                    subject=subject, mode=mode, rule=rule, action=rule.on_failure, error=None, default="ERROR"
                )
            else:
                self._act(
                    subject=subject, mode=mode, rule=rule, action=rule.on_success, error=None, default="NONE"
                )
        return message

    @staticmethod
    def _act(
        *,
        subject: str,
        mode: RuleMode,
        rule: Rule,
        action: str | None,
        error: BaseException | None,
        default: str,
    ) -> None:
        name = _action_name(rule, mode, action) or default
        if name == "NONE":
            if error is not None:
                LOG.debug("rule %s failed with action NONE: %s", rule.name, error)
            return
        raise RuleViolation(
            subject=subject,
            rule=str(rule.name),
            kind=str(rule.kind.value if rule.kind is not None else "TRANSFORM"),
            mode=str(mode.value),
            action=name,
            reason=_reason(rule, error),
        ) from error
