"""Code that is backend-aware on purpose: backend checks and backend implementation packages.

A layer may contain backend-specific code when it checks the active backend first
(``if keras.backend.backend() == "jax": ...``), and a backend implementation package
(``<pkg>.backend.tensorflow``, Keras' own layout) is written for one backend by design. The
DLT3xx rules leave both alone.
"""

from __future__ import annotations

import ast

from dlt_lint.astwalk import walk

_BACKEND_NAMES = frozenset({"tensorflow", "jax", "torch", "numpy", "openvino"})


def _backend_names(node: ast.expr) -> bool:
    """A backend name as a string, or a tuple / list / set of them."""
    if isinstance(node, ast.Constant):
        return node.value in _BACKEND_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(_backend_names(e) for e in node.elts)
    return False


def _is_backend_call(node: ast.expr) -> bool:
    """``backend()``, ``keras.backend.backend()``, ``keras.config.backend()``..."""
    if not isinstance(node, ast.Call) or node.args or node.keywords:
        return False
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "backend") or (isinstance(f, ast.Attribute) and f.attr == "backend")


def is_backend_test(test: ast.expr) -> bool:
    """The condition compares the active Keras backend with a backend name."""
    for node in walk(test):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_backend_call(o) for o in operands) and any(_backend_names(o) for o in operands):
                return True
    return False


def backend_package(module: str) -> str | None:
    """The backend a module implements when it lives in ``<...>.backend.<name>``."""
    parts = module.split(".")
    for i in range(len(parts) - 1):
        if parts[i] == "backend" and parts[i + 1] in _BACKEND_NAMES:
            return parts[i + 1]
    return None


def under_backend_check(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """``node`` sits in the body or ``else`` of an ``if`` that checks the active backend."""
    child, parent = node, parents.get(id(node))
    while parent is not None:
        if isinstance(parent, ast.If) and child is not parent.test and is_backend_test(parent.test):
            return True
        child, parent = parent, parents.get(id(parent))
    return False
