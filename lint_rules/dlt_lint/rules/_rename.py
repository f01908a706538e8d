"""Consistent renaming inside one class, shared by the standard-name rules DLT101-DLT105.

A constructor parameter is renamed together with everything that must follow it: its uses in
``__init__`` (``Name`` nodes only: keyword names passed to other calls, attribute names of
other objects and strings stay), the ``self.<old>`` attribute when it stores the parameter,
the ``get_config`` / ``from_config`` key, and keyword arguments of calls to the class in the
same module. When the tree does not let the renaming be complete and collision-free, no edits
are produced and the rule reports without a fix.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from dlt_lint import keras_facts as kf
from dlt_lint.astwalk import walk
from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Edit, Position
from dlt_lint.rule import Rule

_DYNAMIC_SCOPE_CALLS = frozenset({"locals", "vars", "eval", "exec", "globals"})
_CONFIG_METHODS = ("get_config", "from_config")
_KEY_METHODS = frozenset({"get", "pop", "setdefault", "__getitem__", "__contains__"})


class _Abort(Exception):
    """The renaming cannot be done safely."""


def _ident(ctx: FileContext, lineno: int, col_offset: int, old: str, new: str) -> Edit:
    """Replace the identifier ``old`` written at an ast position (checked against the text)."""
    start = ctx.pos(lineno, col_offset)
    line = ctx.lines[start.row - 1] if start.row - 1 < len(ctx.lines) else ""
    if line[start.column:start.column + len(old)] != old:
        raise _Abort
    return Edit(start, Position(start.row, start.column + len(old)), new)


def _attr_edit(ctx: FileContext, node: ast.Attribute, new: str) -> Edit:
    """Replace the attribute name of ``x.<attr>`` (the last identifier of the node)."""
    end = ctx.end(node)
    line = ctx.lines[end.row - 1]
    start = end.column - len(node.attr)
    if start < 0 or line[start:end.column] != node.attr:
        raise _Abort
    return Edit(Position(end.row, start), end, new)


def _string_edit(ctx: FileContext, node: ast.Constant, new: str) -> Edit:
    text = ctx.text(node)
    if len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0] or text[1:-1] != node.value:
        raise _Abort
    return ctx.replace(node, f"{text[0]}{new}{text[0]}")


def methods(cls: ast.ClassDef) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt


def _decorator_names(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for dec in func.decorator_list:
        if isinstance(dec, ast.Name):
            names.add(dec.id)
        elif isinstance(dec, ast.Attribute):
            names.add(dec.attr)
    return names


def self_attributes(cls: ast.ClassDef, attr: str | None = None) -> Iterator[ast.Attribute]:
    """``self.<attr>`` nodes in the class's instance methods (any receiver name)."""
    for method in methods(cls):
        if "staticmethod" in _decorator_names(method) or "classmethod" in _decorator_names(method):
            continue
        positional = method.args.posonlyargs + method.args.args
        if not positional:
            continue
        receiver = positional[0].arg
        for node in walk(method):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == receiver and (attr is None or node.attr == attr):
                yield node


def _class_level_names(cls: ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                names.update(n.id for n in walk(t) if isinstance(n, ast.Name))
    return names


def local_subclasses(ctx: FileContext, cls: ast.ClassDef) -> list[ast.ClassDef]:
    return [c for c in ctx.classes_by_name.values()
            if any(isinstance(b, ast.Name) and b.id == cls.name for b in c.bases)]


def _assignment_values(cls: ast.ClassDef) -> dict[int, tuple[ast.AST, ast.expr | None]]:
    """``id(target) -> (enclosing method, assigned value or None when unknown)``."""
    out: dict[int, tuple[ast.AST, ast.expr | None]] = {}
    for method in methods(cls):
        for node in walk(method):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute):
                        out[id(target)] = (method, node.value)
                    else:
                        for sub in walk(target):
                            out.setdefault(id(sub), (method, None))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
                out[id(node.target)] = (method, node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.withitem, ast.NamedExpr)):
                target = node.optional_vars if isinstance(node, ast.withitem) else node.target
                for sub in walk(target) if target is not None else ():
                    out.setdefault(id(sub), (method, None))
    return out


def _uses_name(node: ast.AST | None, name: str) -> bool:
    return node is not None and any(isinstance(n, ast.Name) and n.id == name for n in walk(node))


_CONVERSIONS = frozenset({"int", "float", "bool", "str", "tuple", "list", "dict", "set"})


def _stores_param(value: ast.AST | None, name: str) -> bool:
    """``value`` is the parameter itself or a light normalisation of it (``units``,
    ``int(units)``, ``units or 64``, ``x if units is None else units``,
    ``keras.initializers.get(units)``) -- not an object built from it (``Dropout(units)``)."""
    if isinstance(value, ast.Name):
        return value.id == name
    if isinstance(value, ast.BoolOp):
        return any(_stores_param(v, name) for v in value.values)
    if isinstance(value, ast.IfExp):
        return _stores_param(value.body, name) or _stores_param(value.orelse, name)
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        func = value.func
        if isinstance(func, ast.Name) and func.id in _CONVERSIONS:
            return _stores_param(value.args[0], name)
        if isinstance(func, ast.Attribute) and func.attr == "get":
            return _stores_param(value.args[0], name)
    return False


def _is_super_init(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__" and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Name) and node.func.value.func.id == "super")


def _strings(cls: ast.ClassDef, value: str) -> Iterator[ast.Constant]:
    for node in walk(cls):
        if isinstance(node, ast.Constant) and node.value == value:
            yield node


def _config_key_nodes(cls: ast.ClassDef, key: str) -> tuple[list[ast.Constant], list[ast.keyword], bool]:
    """Where ``key`` is used as a config key in get_config / from_config: string constants,
    ``update(key=...)`` keywords, and whether any is found in ``get_config``."""
    constants: list[ast.Constant] = []
    keywords: list[ast.keyword] = []
    for method in methods(cls):
        if method.name not in _CONFIG_METHODS:
            continue
        for node in walk(method):
            if isinstance(node, ast.Dict):
                constants.extend(k for k in node.keys if isinstance(k, ast.Constant) and k.value == key)
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and node.slice.value == key:
                constants.append(node.slice)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in _KEY_METHODS and node.args and isinstance(node.args[0], ast.Constant) \
                        and node.args[0].value == key:
                    constants.append(node.args[0])
                if node.func.attr in ("update", "dict"):
                    keywords.extend(kw for kw in node.keywords if kw.arg == key)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
                keywords.extend(kw for kw in node.keywords if kw.arg == key)
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) \
                    and node.left.value == key:
                constants.append(node.left)  # "key" in config
    return constants, keywords, bool(constants or keywords)


def _constructor_calls(ctx: FileContext, cls: ast.ClassDef) -> Iterator[ast.Call]:
    """Calls that construct ``cls`` in this module: ``Cls(...)``, ``cls(...)`` in its
    classmethods, ``super().__init__(...)`` in same-module subclasses."""
    qual = ctx.sem.qualify_local(cls.name)
    for node in walk(ctx.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == cls.name \
                and (ctx.sem.resolve(node.func) in (qual, None)):
            yield node
    for method in methods(cls):
        if "classmethod" in _decorator_names(method) and method.args.args:
            receiver = method.args.args[0].arg
            for node in walk(method):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                        and node.func.id == receiver:
                    yield node
    for sub in local_subclasses(ctx, cls):
        init = kf.find_method(sub, "__init__")
        if init is not None:
            for node in walk(init):
                if _is_super_init(node):
                    yield node  # type: ignore[misc]


def plan_param_rename(ctx: FileContext, cls: ast.ClassDef, init: ast.FunctionDef | ast.AsyncFunctionDef,
                      param: kf.Param, new: str) -> list[Edit] | None:
    """Edits renaming ``__init__`` parameter ``param`` to ``new`` consistently, or None."""
    try:
        return _plan_param_rename(ctx, cls, init, param, new)
    except _Abort:
        return None


def _plan_param_rename(ctx: FileContext, cls: ast.ClassDef, init: ast.FunctionDef | ast.AsyncFunctionDef,
                       param: kf.Param, new: str) -> list[Edit] | None:
    old = param.name
    if param.node is None or any(p.name == new for p in kf.init_params(init)):
        return None
    body = [n for stmt in init.body for n in walk(stmt)]
    for n in body:
        if isinstance(n, ast.Name) and n.id == new:
            return None  # `new` already means something in __init__
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _DYNAMIC_SCOPE_CALLS:
            return None
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = n.args
            bound = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x}
            if old in bound or new in bound or getattr(n, "name", None) in (old, new):
                return None
        if isinstance(n, ast.ClassDef) and n.name in (old, new):
            return None
        if isinstance(n, (ast.Global, ast.Nonlocal)) and {old, new} & set(n.names):
            return None
        if isinstance(n, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name.split(".")[0]) in (old, new) for a in n.names):
            return None
        if _is_super_init(n) and _uses_name(n, old):
            return None  # the base class takes the old name (and saves it in its config)

    edits = [_ident(ctx, param.node.lineno, param.node.col_offset, old, new)]
    edits += [_ident(ctx, n.lineno, n.col_offset, old, new)
              for n in body if isinstance(n, ast.Name) and n.id == old]

    # The attribute that stores the parameter.
    attrs = list(self_attributes(cls, old))
    values = _assignment_values(cls)
    stores = [a for a in attrs if not isinstance(a.ctx, ast.Load)]
    rename_attr = bool(stores)
    for store in stores:
        if isinstance(store.ctx, ast.Del):
            return None
        method, value = values.get(id(store), (None, None))
        if method is None:
            continue  # augmented assignment: follows the other stores
        if method is not init or not _stores_param(value, old):
            rename_attr = False  # `self.<old>` holds something else (e.g. a Dropout layer)
    if rename_attr:
        if any(True for _ in self_attributes(cls, new)) or {old, new} & _class_level_names(cls):
            return None
        edits += [_attr_edit(ctx, a, new) for a in attrs]
    for sub in local_subclasses(ctx, cls):
        if any(True for _ in self_attributes(sub, old)) or any(True for _ in self_attributes(sub, new)):
            return None

    # Config keys.
    constants, keywords, _ = _config_key_nodes(cls, old)
    _, _, new_present = _config_key_nodes(cls, new)
    if new_present:
        return None
    key_ids = {id(c) for c in constants}
    edits += [_string_edit(ctx, c, new) for c in constants]
    edits += [_ident(ctx, kw.lineno, kw.col_offset, old, new) for kw in keywords]
    for s in _strings(cls, old):
        if id(s) not in key_ids and not _is_name_keyword_value(cls, s):
            return None  # getattr(self, "units"), self.__dict__["units"], ...

    # Keyword arguments of constructor calls in this module.
    for call in _constructor_calls(ctx, cls):
        if any(kw.arg == new for kw in call.keywords):
            return None
        edits += [_ident(ctx, kw.lineno, kw.col_offset, old, new) for kw in call.keywords if kw.arg == old]
    return _dedupe(edits)


def _is_name_keyword_value(cls: ast.ClassDef, node: ast.Constant) -> bool:
    """``name="w_q"`` passed to a sub-layer: a weight / layer name, not a reference."""
    for n in walk(cls):
        if isinstance(n, ast.keyword) and n.arg == "name" and n.value is node:
            return True
    return False


def _dedupe(edits: list[Edit]) -> list[Edit] | None:
    seen: dict[tuple, Edit] = {}
    for e in edits:
        seen[(e.start, e.end)] = e
    out = sorted(seen.values(), key=lambda e: (e.start, e.end))
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            return None
    return out


def plan_attr_rename(ctx: FileContext, cls: ast.ClassDef, old: str, new: str) -> list[Edit] | None:
    """Edits renaming attribute ``self.<old>`` to ``self.<new>`` everywhere in the class."""
    try:
        if any(True for _ in self_attributes(cls, new)) or {old, new} & _class_level_names(cls):
            return None
        for sub in local_subclasses(ctx, cls):
            if any(True for _ in self_attributes(sub, old)) or any(True for _ in self_attributes(sub, new)):
                return None
        for s in _strings(cls, old):
            if not _is_name_keyword_value(cls, s):
                return None
        for n in walk(cls):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _DYNAMIC_SCOPE_CALLS:
                return None
        return _dedupe([_attr_edit(ctx, a, new) for a in self_attributes(cls, old)])
    except _Abort:
        return None


class ParamNameRule(Rule):
    """Base of DLT101-DLT104: an attention class's ``__init__`` parameter with a forbidden
    name. Subclasses set ``FORBIDDEN`` (old name -> standard name) and ``CONCEPT``."""

    FORBIDDEN: ClassVar[dict[str, str]] = {}
    CONCEPT: ClassVar[str] = ""
    fix_availability = "unsafe"
    keras_only = True

    def applies(self, cls: ast.ClassDef, params: list[kf.Param]) -> bool:
        return True

    def forbidden(self, param: kf.Param, params: list[kf.Param]) -> bool:
        return param.name in self.FORBIDDEN

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self.ctx.attention_class(node):
            return
        init = kf.find_method(node, "__init__")
        if init is None:
            return
        params = kf.init_params(init, self.ctx.source)
        if not self.applies(node, params):
            return
        claimed: set[str] = set()
        for param in params:
            if param.is_variadic or param.node is None or not self.forbidden(param, params):
                continue
            new = self.FORBIDDEN[param.name]
            fix = None
            if new not in claimed:  # two old names for one new name: fix the first only
                edits = plan_param_rename(self.ctx, node, init, param, new)
                if edits:
                    fix = self.fix(f"Rename `{param.name}` to `{new}`", edits)
            claimed.add(new)
            start = self.ctx.pos(param.node.lineno, param.node.col_offset)
            end = Position(start.row, start.column + len(param.name))
            self.report((start, end), f"Attention class `{node.name}` calls its {self.CONCEPT} "
                                      f"`{param.name}`; the standard name is `{new}`", fix)
