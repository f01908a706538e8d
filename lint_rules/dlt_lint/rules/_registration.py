"""How a class gets into Keras' serialization registry, under the spellings real code uses.

Besides ``@keras.saving.register_keras_serializable()`` (:data:`keras_facts.REGISTER_DECORATORS`)
a class is registered by

* Keras' own API-export decorator ``keras_export``, which registers under the public name;
* the decorator applied as a call at module level: ``register_keras_serializable()(Block)``;
* an entry in the custom-objects dict: ``get_custom_objects()["Block"] = Block`` or
  ``get_custom_objects().update({"Block": Block})``;
* a project's own decorator whose code does one of the above (``keras_hub_export`` and kin),
  found through facts collected from the module that defines it, or read from the installed
  package's source when that module is not part of the linted project.

A decorator whose defining module cannot be read at all is taken to register when its name
says so (``register_*``, ``*serializable*``): not knowing is no reason to report.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Iterable, Iterator

from dlt_lint import keras_facts as kf
from dlt_lint import registries as regs
from dlt_lint.astwalk import walk
from dlt_lint.context import FileContext
from dlt_lint.semantic import Semantic, canonical

COLLECT_KEY = "DLT201-registering-callables"

# Callables that put what they are given into a Keras serialization registry.
REGISTERING = kf.REGISTER_DECORATORS | {
    "keras.src.api_export.keras_export",
    "keras.src.api_export.register_internal_serializable",
}


def module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, also those inside module-level ``if`` / ``try`` blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from module_level(stmt.body)
            yield from module_level(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody, *[h.body for h in stmt.handlers]):
                yield from module_level(block)


def _is_custom_objects(sem: Semantic, node: ast.AST) -> bool:
    """``keras.saving.get_custom_objects()`` (any spelling)."""
    if not isinstance(node, ast.Call):
        return False
    q = canonical(sem.resolve(node.func))
    return bool(q) and q.startswith("keras.") and q.endswith(".get_custom_objects")


def _registers(sem: Semantic, node: ast.AST, local: set[str]) -> bool:
    """``node`` is a call or assignment that registers something."""
    if isinstance(node, ast.Call):
        f = node.func
        if canonical(sem.resolve(f)) in REGISTERING:
            return True
        if isinstance(f, ast.Name) and f.id in local:
            return True
        # get_custom_objects().update(...) / .setdefault(...)
        return isinstance(f, ast.Attribute) and f.attr in ("update", "setdefault") \
            and _is_custom_objects(sem, f.value)
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Subscript) and _is_custom_objects(sem, t.value) for t in node.targets)
    return False


# A module without any of these words registers nothing (a cheap test before walking it).
_WORDS = ("regist", "custom_objects", "export")


def registering_callables(tree: ast.Module, sem: Semantic, source: str | None = None) -> set[str]:
    """Module-level functions and classes whose code registers (directly, or by calling
    another such callable of the same module)."""
    if source is not None and not any(w in source for w in _WORDS):
        return set()
    defs = [s for s in module_level(tree.body)
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in defs:
            if node.name not in found and any(_registers(sem, n, found) for n in walk(node)):
                found.add(node.name)
                changed = True
    return found


def registered_by_statements(tree: ast.Module, sem: Semantic, local: set[str],
                             source: str | None = None) -> set[str]:
    """Names of classes that module-level statements register (call form, custom objects)."""
    out: set[str] = set()
    if source is not None and not any(w in source for w in _WORDS):
        return out
    for stmt in module_level(tree.body):
        if not isinstance(stmt, (ast.Expr, ast.Assign)):
            continue
        for node in walk(stmt):
            if isinstance(node, ast.Call):
                # register_keras_serializable(...)(Block)
                if isinstance(node.func, ast.Call) and _registers(sem, node.func, local):
                    out.update(_names(node.args[:1]))
                # get_custom_objects().update({"Block": Block}) / update(Block=Block)
                elif _registers(sem, node, local) and isinstance(node.func, ast.Attribute):
                    for arg in node.args:
                        if isinstance(arg, ast.Dict):
                            out.update(_names(arg.values))
                    out.update(_names(k.value for k in node.keywords))
                # helper(Block) where helper registers what it is given
                elif isinstance(node.func, ast.Name) and node.func.id in local:
                    out.update(_names(node.args[:1]))
            elif isinstance(node, ast.Assign) and _registers(sem, node, local):
                out.update(_names([node.value]))
    return out


def _names(nodes: Iterable[ast.AST | None]) -> set[str]:
    return {n.id for n in nodes if isinstance(n, ast.Name)}


def decorator_registers(ctx: FileContext, decorator: ast.expr, local: set[str]) -> bool:
    """The decorator (or decorator factory call) registers the class."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Name) and target.id in local:
        return True
    q = canonical(ctx.sem.resolve(target))
    if not q:
        return False
    if q in REGISTERING:
        return True
    return _project_registering(ctx, q)


def _project_registering(ctx: FileContext, qualname: str, hops: int = 4) -> bool:
    """``qualname`` names a registering callable: of a project module (following re-exports),
    or of an installed module outside the project (read from its source)."""
    for _ in range(hops):
        module, _, name = qualname.rpartition(".")
        if not module:
            return False
        summary = ctx.project.modules.get(module)
        if summary is None:
            return _outside_project_registers(module, name)
        facts = summary.extras.get(COLLECT_KEY)
        if isinstance(facts, dict) and name in facts.get("callables", ()):
            return True
        target = summary.imports.get(name)
        if not target:
            return False
        qualname = canonical(target) or target
    return False


_REGISTERING_NAME = ("regist", "serializ")


def _outside_project_registers(module: str, name: str) -> bool:
    if module == "keras" or module.startswith("keras."):
        return False  # Keras' registering callables are known by name (REGISTERING)
    found = _installed_registering(module, name)
    if found is None:  # the source cannot be read: trust the name
        return any(word in name.lower() for word in _REGISTERING_NAME)
    return found


@lru_cache(maxsize=256)
def _installed_registering(module: str, name: str, hops: int = 4) -> bool | None:
    """Whether ``module.name`` of an installed package registers, read from the source without
    importing anything; None when the module's source cannot be found."""
    for _ in range(hops):
        top, _, rest = module.partition(".")
        root = regs.locate_package(top)
        if root is None:
            return None
        base = root.joinpath(*rest.split(".")) if rest else root
        path = next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)
        if path is None:
            return None
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            return None
        sem = Semantic(tree, module, path.name == "__init__.py")
        if name in registering_callables(tree, sem):
            return True
        target = sem.imports.names.get(name)
        if not target or "." not in target:
            return False
        module, _, name = target.rpartition(".")
    return None


def default_package_classes(tree: ast.Module, sem: Semantic) -> set[str]:
    """Classes of the module registered by ``@register_keras_serializable()`` without a
    ``package`` or ``name``: Keras files them as ``Custom>Name``."""
    out: set[str] = set()
    for cls in module_level(tree.body):
        if not isinstance(cls, ast.ClassDef):
            continue
        for dec in cls.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if canonical(sem.resolve(target)) not in kf.REGISTER_DECORATORS:
                continue
            args = dec.args if isinstance(dec, ast.Call) else []
            keywords = {k.arg for k in dec.keywords} if isinstance(dec, ast.Call) else set()
            if not args and not keywords & {"package", "name", None}:
                out.add(cls.name)
    return out


def namesakes(ctx: FileContext, name: str) -> list[str]:
    """Other project modules that register a class called ``name`` under the default package:
    registering this one the same way would give both the name ``Custom>name``."""
    return [m for m in ctx.project.extras_having(COLLECT_KEY, "custom", name) if m != ctx.sem.module]
