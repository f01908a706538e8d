"""Static facts about Keras classes read from the syntax tree: constructor parameters,
``get_config`` keys, abstractness. Shared by the project index and the rules."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from dlt_lint.astwalk import walk
from dlt_lint.semantic import Semantic


@dataclass(frozen=True)
class Param:
    """One ``__init__`` parameter (``self`` excluded)."""

    name: str
    kind: str  # "positional", "keyword", "var_positional", "var_keyword"
    default: str | None  # source text of the default, None when there is none
    node: ast.arg | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not None

    @property
    def is_variadic(self) -> bool:
        return self.kind in ("var_positional", "var_keyword")


def find_method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The last definition of method ``name`` in the class body (later ones win)."""
    found = None
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            found = stmt
    return found


def init_params(func: ast.FunctionDef | ast.AsyncFunctionDef, source: str | None = None) -> list[Param]:
    """Parameters of ``__init__`` without ``self``, in order, with default source text."""
    a = func.args
    params: list[Param] = []
    positional = a.posonlyargs + a.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for arg, default in zip(positional, defaults):
        params.append(Param(arg.arg, "positional", _text(default, source), arg))
    if a.vararg:
        params.append(Param(a.vararg.arg, "var_positional", None, a.vararg))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        params.append(Param(arg.arg, "keyword", _text(default, source), arg))
    if a.kwarg:
        params.append(Param(a.kwarg.arg, "var_keyword", None, a.kwarg))
    if params and params[0].name in ("self", "cls") and params[0].kind == "positional":
        params = params[1:]
    return params


def _text(node: ast.expr | None, source: str | None) -> str | None:
    if node is None:
        return None
    if source is not None:
        seg = source_segment(source, node)
        if seg is not None:
            return seg
    return ast.unparse(node)


_NEWLINE = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=8)
def _line_starts(source: str) -> tuple[int, ...]:
    return (0, *(m.end() for m in _NEWLINE.finditer(source)), len(source))


def source_segment(source: str, node: ast.AST) -> str | None:
    """Same result as ``ast.get_source_segment`` without re-splitting ``source`` on every call
    (that is quadratic for a large module with many nodes)."""
    try:
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
        col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    except AttributeError:
        return None
    if last is None or end_col is None or first < 0:
        return None
    starts = _line_starts(source)
    if last + 1 >= len(starts):
        return None

    def line(i: int) -> str:
        return source[starts[i]:starts[i + 1]]

    if first == last:
        return line(first).encode()[col:end_col].decode()
    head = line(first).encode()[col:].decode()
    tail = line(last).encode()[:end_col].decode()
    return head + source[starts[first + 1]:starts[last]] + tail


def _is_super_get_config(node: ast.AST) -> bool:
    """``super().get_config()`` or ``super(Cls, self).get_config()``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_config"
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "super"
    )


@dataclass(frozen=True)
class ConfigFacts:
    """What a ``get_config`` saves, as far as the tree tells."""

    keys: frozenset[str]
    calls_super: bool
    # True when keys are added in a way the linter cannot enumerate (``**other``, loops,
    # ``update(some_dict)``, ``vars(self)``...): the key set is then a lower bound only.
    dynamic: bool


def config_facts(func: ast.FunctionDef | ast.AsyncFunctionDef) -> ConfigFacts:
    """Collect the string keys a ``get_config`` body can put into its result.

    Understands ``config.update({...})``, ``config.update(k=...)``, ``config["k"] = ...``,
    ``config.setdefault("k", ...)``, ``{**base, "k": ...}``, ``dict(base, k=...)`` and the old
    ``dict(list(base.items()) + list(config.items()))`` idiom.
    """
    keys: set[str] = set()
    calls_super = False
    dynamic = False
    for node in walk(func):
        if _is_super_get_config(node):
            calls_super = True
        elif isinstance(node, ast.Dict):
            for k in node.keys:
                if k is None:
                    continue  # ``**base``: the unpacked mapping is tracked by its source
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    keys.add(k.value)
                else:
                    dynamic = True
        elif isinstance(node, ast.Call):
            func_name = node.func.attr if isinstance(node.func, ast.Attribute) else (
                node.func.id if isinstance(node.func, ast.Name) else None)
            if func_name in ("update", "dict"):
                keys.update(kw.arg for kw in node.keywords if kw.arg)
                if func_name == "update" and node.args and not isinstance(node.args[0], ast.Dict):
                    dynamic = True
                if any(kw.arg is None for kw in node.keywords):
                    dynamic = True
            elif func_name in ("setdefault", "__setitem__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    keys.add(first.value)
                else:
                    dynamic = True
            elif func_name in ("vars", "getattr", "items") and func_name != "items":
                dynamic = True
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            sl = node.slice
            if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
                keys.add(sl.value)
            else:
                dynamic = True
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.DictComp)):
            dynamic = True
    return ConfigFacts(frozenset(keys), calls_super, dynamic)


def is_abstract(cls: ast.ClassDef, sem: Semantic) -> bool:
    """Abstract: inherits ``abc.ABC``, uses ``ABCMeta``, has an ``@abstractmethod``, or its
    ``call`` does nothing but raise ``NotImplementedError``."""
    for base in cls.bases:
        if sem.resolve(base) in ("abc.ABC",):
            return True
    for kw in cls.keywords:
        if kw.arg == "metaclass" and sem.resolve(kw.value) == "abc.ABCMeta":
            return True
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in stmt.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                name = sem.resolve(target) or (target.id if isinstance(target, ast.Name) else None)
                if name in ("abc.abstractmethod", "abstractmethod"):
                    return True
    call = find_method(cls, "call")
    if call is not None:
        body = [s for s in call.body
                if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(body) == 1 and isinstance(body[0], ast.Raise) and body[0].exc is not None:
            exc = body[0].exc
            exc = exc.func if isinstance(exc, ast.Call) else exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


REGISTER_DECORATORS = frozenset({
    "keras.saving.register_keras_serializable",
    "keras.utils.register_keras_serializable",
    "keras.saving.object_registration.register_keras_serializable",
    "keras.src.saving.object_registration.register_keras_serializable",
    "keras.src.saving.register_keras_serializable",
    "keras.src.utils.register_keras_serializable",
})


def is_registered(cls: ast.ClassDef, sem: Semantic) -> bool:
    """Has ``@keras.saving.register_keras_serializable(...)`` under any spelling."""
    for dec in cls.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if sem.resolve(target) in REGISTER_DECORATORS:
            return True
    return False
