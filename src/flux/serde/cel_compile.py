"""CEL expressions of the supported subset compiled into Python closures over the datum.

The expression is parsed by cel-python's own parser (the tree confluent-kafka's ``CelExecutor``
evaluates) and each node becomes a closure ``f(env)``; ``env`` maps the rule's variables
(``message``; for ``CEL_FIELD`` also ``value``, ``name``, ``fullName``, ``typeName``, ``tags``) and
macro variables to values as :mod:`flux.serde.cel_values` models them. The subset: field selection,
``has()``, int/double/string/bool/null literals, ``== != < <= > >= in``, ``&& || !``, ``?:``,
``+ - * /``, ``all()``/``exists()``, ``size``, ``startsWith``/``endsWith``/``contains``/``matches``,
``decimal()``, ``double()``, ``int()`` and the ``isUri()`` family. Anything else raises
:class:`Unsupported` here, and the rule stays with the executor.

Evaluation order follows cel-python: both operands of ``&&``/``||`` and every element of a macro
are evaluated (an error value on one side is absorbed by a ``false``/``true`` on the other, a raised
error is not), a ternary evaluates only the branch it takes.

Example:
    >>> run = compile_expr("message.ticks.all(t, size(t.id) > 0)", frozenset({"message"}))
    >>> run({"message": {"ticks": [{"id": "BTC-USD"}, {"id": ""}]}})
    False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import celpy
import lark
from celpy import celtypes
from celpy import evaluation as cel_eval
from confluent_kafka.schema_registry.rules.cel import cel_field_presence

from flux.serde import cel_values as cv
from flux.serde.cel_functions import FUNCS, Unsupported, binary, function, require
from flux.serde.cel_values import CelError, Fallback

__all__ = ["Fn", "Unsupported", "celtyped", "compile_expr"]

Fn = Callable[[dict[str, Any]], Any]

_NAMESPACE_PATH = getattr(cel_field_presence, "_extract_namespace_path", None)
_OPS: Final = {
    "relation_lt": "_<_",
    "relation_le": "_<=_",
    "relation_gt": "_>_",
    "relation_ge": "_>=_",
    "relation_eq": "_==_",
    "relation_ne": "_!=_",
    "relation_in": "_in_",
    "addition_add": "_+_",
    "addition_sub": "_-_",
    "multiplication_mul": "_*_",
    "multiplication_div": "_/_",
}
_NO_CONST: Final = object()
_ERR: Final = object()
_ENV = celpy.Environment()


def _name(token: Any) -> str:
    """The text of an IDENT token."""
    return str(token.value)


class _Compiler:
    def __init__(self, variables: frozenset[str]) -> None:
        self.variables = variables
        self.bound: list[str] = []

    def const(self, tree: Any) -> Any:
        """The literal value of ``tree`` after pass-through nodes, else ``_NO_CONST``."""
        while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data != "literal":
            tree = tree.children[0]
        if isinstance(tree, lark.Tree) and tree.data == "literal":
            return self.literal(tree.children[0])
        return _NO_CONST

    def literal(self, token: Any) -> Any:
        text, kind = token.value, token.type
        try:
            if kind == "INT_LIT":
                return int(celtypes.IntType(text))
            if kind == "FLOAT_LIT":
                return float(celtypes.DoubleType(text))
            if kind in ("STRING_LIT", "MLSTRING_LIT"):
                return str(cel_eval.celstr(token))
        except ValueError as exc:
            raise Unsupported(f"literal {text}") from exc
        if kind == "BOOL_LIT":
            return text.lower() == "true"
        if kind == "NULL_LIT":
            return None
        raise Unsupported(f"literal {kind}")

    def node(self, tree: Any) -> Fn:
        if not isinstance(tree, lark.Tree):
            raise Unsupported(repr(tree))
        data, kids = tree.data, list[Any](tree.children)
        if len(kids) == 1 and data in (
            "expr",
            "conditionalor",
            "conditionaland",
            "relation",
            "addition",
            "multiplication",
            "unary",
            "member",
            "primary",
            "paren_expr",
        ):
            return self.node(kids[0])
        if data == "literal":
            value = self.literal(kids[0])
            return lambda env: value
        if data == "expr" and len(kids) == 3:
            return self.ternary(*(self.node(k) for k in kids))
        if data in ("conditionalor", "conditionaland") and len(kids) == 2:
            require("_||_" if data == "conditionalor" else "_&&_")
            return self.logic(data == "conditionaland", self.node(kids[0]), self.node(kids[1]))
        if data in ("relation", "addition", "multiplication") and len(kids) == 2:
            op = _OPS.get(kids[0].data)
            if op is None:
                raise Unsupported(kids[0].data)
            return self.call(binary(op), [self.node(kids[0].children[0]), self.node(kids[1])])
        if data == "unary" and len(kids) == 2:
            return self.unary(kids[0].data, self.node(kids[1]))
        if data == "member_dot":
            return self.select(self.node(kids[0]), kids[1].value)
        if data == "member_dot_arg":
            return self.method(kids)
        if data == "ident":
            name = kids[0].value
            if name not in self.variables and name not in self.bound:
                raise Unsupported(f"unknown name {name}")
            return lambda env: env[name]
        if data == "ident_arg":
            name = kids[0].value
            args = list(kids[1].children) if len(kids) == 2 else []
            if name == "has":
                return self.has(args)
            return self.call(function(name, [self.const(a) for a in args]), self.args(name, args))
        raise Unsupported(data)

    def args(self, name: str, trees: list[Any]) -> list[Fn]:
        if name == "decimal" and len(trees) == 1 and self.const(trees[0]) is not _NO_CONST:
            try:  # decimal('0'): folded, as it cannot change
                value = function("decimal", [])(self.const(trees[0]))
                return [lambda env: value]
            except Fallback:
                pass
        return [self.node(t) for t in trees]

    @staticmethod
    def ternary(cond: Fn, yes: Fn, no: Fn) -> Fn:
        require("_?_:_")

        def ternary(env: dict[str, Any]) -> Any:
            try:
                chosen = cond(env)
            except CelError:
                raise Fallback from None
            if type(chosen) is not bool:
                raise Fallback
            return yes(env) if chosen else no(env)

        return ternary

    @staticmethod
    def logic(conjunction: bool, left: Fn, right: Fn) -> Fn:
        absorbing = not conjunction  # false absorbs errors in &&, true in ||

        def logic(env: dict[str, Any]) -> Any:
            try:
                a = left(env)
            except CelError:
                a = _ERR
            try:
                b = right(env)
            except CelError:
                b = _ERR
            if type(a) is bool and type(b) is bool:
                return (a and b) if conjunction else (a or b)
            if (a is not _ERR and type(a) is not bool) or (b is not _ERR and type(b) is not bool):
                raise Fallback  # cel-python passes non-bool values through: not modelled
            if a is absorbing or b is absorbing:
                return absorbing
            raise CelError

        return logic

    @staticmethod
    def unary(op: str, operand: Fn) -> Fn:
        if op == "unary_not":
            require("!_")

            def negation(env: dict[str, Any]) -> bool:
                value = operand(env)
                if type(value) is bool:
                    return not value
                raise Fallback

            return negation
        require("-_")

        def minus(env: dict[str, Any]) -> Any:
            value = operand(env)
            if type(value) is int:
                return cv.int64(-value)
            if type(value) is float:
                return -value
            raise Fallback

        return minus

    @staticmethod
    def call(func: Callable[..., Any], args: list[Fn]) -> Fn:
        def call(env: dict[str, Any]) -> Any:
            values, failed = [], False
            for arg in args:
                try:
                    values.append(arg(env))
                except CelError:
                    failed = True
            if failed:
                raise CelError
            return func(*values)

        return call

    @staticmethod
    def select(receiver: Fn, name: str, in_has: bool = False) -> Fn:
        return lambda env: cv.select(receiver(env), name, in_has)

    def has(self, args: list[Any]) -> Fn:
        if len(args) != 1:
            raise Unsupported("has() takes one argument")
        tree = args[0]
        while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data != "member_dot":
            tree = tree.children[0]
        if not (isinstance(tree, lark.Tree) and tree.data == "member_dot"):
            raise Unsupported("has() of something other than a field selection")
        receiver, name = self.has_chain(tree.children[0]), _name(tree.children[1])

        def has(env: dict[str, Any]) -> bool:
            try:
                value = receiver(env)
            except CelError:
                return False
            return cv.has_field(value, name)

        return has

    def has_chain(self, tree: Any) -> Fn:
        """The receiver of ``has()``: a selection path, evaluated with Protobuf presence checks."""
        while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data in ("member", "primary"):
            tree = tree.children[0]
        if isinstance(tree, lark.Tree) and tree.data == "member_dot":
            return self.select(self.has_chain(tree.children[0]), _name(tree.children[1]), True)
        if isinstance(tree, lark.Tree) and tree.data == "ident":
            return self.node(tree)
        raise Unsupported("has() receiver must be a selection path")

    def method(self, kids: list[Any]) -> Fn:
        member, name = kids[0], str(kids[1].value)
        args = list(kids[2].children) if len(kids) == 3 else []
        if name in ("all", "exists"):
            return self.macro(name == "all", self.node(member), args)
        if _NAMESPACE_PATH is None:
            raise Unsupported("namespace dispatch unknown")
        path = _NAMESPACE_PATH(member)
        if path is not None and f"{path}.{name}" in FUNCS:
            raise Unsupported(f"namespaced function {path}.{name}")
        consts = [self.const(member), *(self.const(a) for a in args)]
        return self.call(function(name, consts), [self.node(member), *self.args(name, args)])

    def macro(self, every: bool, receiver: Fn, args: list[Any]) -> Fn:
        if len(args) != 2:
            raise Unsupported("macro arity")
        idents = list(args[0].find_data("ident"))
        if len(idents) != 1 or self.const(args[0]) is not _NO_CONST:
            raise Unsupported("macro variable")
        var_tree = args[0]
        while isinstance(var_tree, lark.Tree) and len(var_tree.children) == 1 and var_tree.data != "ident":
            var_tree = var_tree.children[0]
        if not (isinstance(var_tree, lark.Tree) and var_tree.data == "ident"):
            raise Unsupported("macro variable must be a name")
        var = idents[0].children[0].value
        self.bound.append(var)
        try:
            predicate = self.node(args[1])
        finally:
            self.bound.pop()
        decisive = not every  # the element verdict that decides: false for all(), true for exists()
        convert = cv.convert

        def macro(env: dict[str, Any]) -> bool:
            items = receiver(env)
            if type(items) is not list:
                raise Fallback
            saved = env.get(var, _ERR)
            decided = failed = False
            try:
                for item in items:
                    env[var] = convert(item)
                    try:
                        verdict = predicate(env)
                    except CelError:
                        failed = True
                        continue
                    if verdict is decisive:
                        decided = True
                    elif verdict is not every:
                        raise Fallback
            finally:
                if saved is _ERR:
                    env.pop(var, None)
                else:
                    env[var] = saved
            if decided:
                return decisive
            if failed:
                raise CelError
            return every

        return macro


def compile_expr(expr: str, variables: frozenset[str]) -> Fn:
    """``expr`` as a closure over ``env`` (raises :class:`Unsupported` outside the subset)."""
    try:
        tree = _ENV.compile(expr)
    except Exception as exc:
        raise Unsupported(f"does not parse: {exc}") from exc
    body = _Compiler(variables).node(tree)

    def run(env: dict[str, Any]) -> Any:
        try:
            return body(env)
        except CelError:
            raise Fallback from None  # an error reaching the top is the executor's to report
        except Fallback:
            raise
        except Exception as exc:  # not foreseen, so not vouched for
            raise Fallback from exc

    return run


def _typed(tree: Any) -> bool | None:
    while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data != "literal":
        tree = tree.children[0]
    if not isinstance(tree, lark.Tree):
        return None
    data, kids = tree.data, list[Any](tree.children)
    if data in ("literal", "ident", "member_dot", "ident_arg", "member_dot_arg"):
        return True  # literals, bound values and function results are cel-python's types
    if data == "expr" and len(kids) == 3:
        yes, no = _typed(kids[1]), _typed(kids[2])
        return yes if yes == no else None
    if data == "multiplication" and kids[0].data == "multiplication_div":
        left, right = _typed(kids[0].children[0]), _typed(kids[1])
        return True if True in (left, right) else (None if None in (left, right) else False)
    if data in ("addition", "multiplication"):
        return False  # float and str + - * are Python's: plain float, plain str
    if data == "unary" and kids[0].data == "unary_neg":
        return _typed(kids[1])
    return None


def celtyped(expr: str) -> bool | None:
    """Whether a double or string result of ``expr`` is cel-python's ``DoubleType``/``StringType``
    (True) or a plain ``float``/``str`` (False) when the executor evaluates it: only ``/`` and
    unary ``-`` of ``DoubleType`` keep the type; None when that cannot be told from the tree."""
    try:
        return _typed(_ENV.compile(expr))
    except Exception:
        return None
