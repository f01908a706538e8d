"""Fast traversal of stdlib ``ast`` trees.

``ast.iter_child_nodes`` asks every field of every node whether it holds a node, and yields the
``Load`` / ``Store`` / ``Del`` context objects as children, which make up about a third of all
nodes and never matter to a rule (rules read ``node.ctx`` instead). Walking the trees is the
largest cost of a lint after parsing, so this module keeps, per node type, the fields that can
hold nodes and never yields context objects. Order is the same as the stdlib's: children in
field order, :func:`walk` breadth first like ``ast.walk``.
"""

from __future__ import annotations

import ast
from collections import deque
from typing import Callable, Iterator

# Fields that never hold a node, in any node type (identifiers, numbers, flags, contexts).
_NOT_NODES = frozenset({
    "ctx", "id", "attr", "arg", "name", "module", "level", "kind", "type_comment", "conversion",
    "is_async", "simple", "type_ignores", "tag", "lineno",
})

_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}
_AST = ast.AST


def _fields_of(cls: type) -> tuple[str, ...]:
    fields = tuple(f for f in getattr(cls, "_fields", ()) if f not in _NOT_NODES)
    _FIELDS[cls] = fields
    return fields


def iter_child_nodes(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes of ``node`` in field order, without expression contexts."""
    fields = _FIELDS.get(node.__class__)
    if fields is None:
        fields = _fields_of(node.__class__)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if value.__class__ is list:
            for item in value:
                if isinstance(item, _AST):
                    out.append(item)
        elif isinstance(value, _AST) and not isinstance(value, ast.expr_context):
            out.append(value)
    return out


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` (itself included), breadth first like ``ast.walk``."""
    return _breadth_first(node, iter_child_nodes)


def _breadth_first(node: ast.AST, children: Callable[[ast.AST], list[ast.AST]]) -> Iterator[ast.AST]:
    todo = deque([node])
    pop, extend = todo.popleft, todo.extend
    while todo:
        current = pop()
        extend(children(current))
        yield current


# Fields that hold statements (or the handlers / match cases that hold them).
_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_BLOCKS: dict[type, tuple[str, ...]] = {}


def child_statements(node: ast.AST) -> list[ast.AST]:
    """The statements directly inside ``node``'s blocks (plus its ``except`` handlers and
    ``match`` cases, which hold blocks themselves); expressions are never visited."""
    names = _BLOCKS.get(node.__class__)
    if names is None:
        names = _BLOCKS[node.__class__] = tuple(f for f in getattr(node.__class__, "_fields", ())
                                                if f in _BLOCK_FIELDS)
    out: list[ast.AST] = []
    for name in names:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out.extend(value)
    return out


def statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement under ``tree`` (itself included) in the order ``ast.walk`` meets them,
    without visiting a single expression."""
    return _breadth_first(tree, child_statements)
