"""Name resolution for one module: which qualified name does an expression refer to?

The linter reasons about *what* code refers to, not how it is spelled: ``L.Dense``,
``keras.layers.Dense`` and ``Dense`` (after ``from keras.layers import Dense``) all resolve to
``keras.layers.Dense``. Spellings of the same public Keras API (``tf.keras``,
``tensorflow.keras``, ``tf_keras``, private ``keras.src`` paths) are folded onto the public
``keras.*`` name by :func:`canonical`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from dlt_lint.astwalk import statements

# Public names of the Keras base classes that make a class a "Keras class" (RULES.md, scopes).
KERAS_BASES = frozenset({
    "keras.layers.Layer", "keras.Layer", "keras.Model", "keras.models.Model",
    "keras.Sequential", "keras.models.Sequential",
})

# Private keras.src spellings of the same classes (Keras' own source uses these).
_PRIVATE_ALIASES = {
    "keras.src.layers.layer.Layer": "keras.layers.Layer",
    "keras.src.layers.Layer": "keras.layers.Layer",
    "keras.src.engine.base_layer.Layer": "keras.layers.Layer",
    "keras.engine.base_layer.Layer": "keras.layers.Layer",
    "keras.src.models.model.Model": "keras.Model",
    "keras.src.models.Model": "keras.Model",
    "keras.src.models.functional.Functional": "keras.Model",
    "keras.src.models.sequential.Sequential": "keras.Sequential",
    "keras.src.engine.training.Model": "keras.Model",
}

# Capitalised names under keras.layers that are not layer classes.
_NOT_LAYER_CLASSES = frozenset({"InputSpec", "Input"})


def canonical(qualname: str | None) -> str | None:
    """Fold alternative spellings of the Keras API onto ``keras.*``."""
    if not qualname:
        return qualname
    for prefix in ("tensorflow.keras.", "tensorflow.python.keras.", "tf_keras."):
        if qualname.startswith(prefix):
            qualname = "keras." + qualname[len(prefix):]
            break
    else:
        if qualname in ("tensorflow.keras", "tf_keras"):
            return "keras"
    return _PRIVATE_ALIASES.get(qualname, qualname)


def is_keras_base(qualname: str | None) -> bool:
    """True when ``qualname`` names Keras' Layer / Model or a built-in Keras layer class."""
    q = canonical(qualname)
    if not q:
        return False
    if q in KERAS_BASES:
        return True
    parts = q.split(".")
    # keras.layers.Dense, keras.layers.MultiHeadAttention, ...: subclassing a built-in layer.
    if len(parts) == 3 and parts[0] == "keras" and parts[1] == "layers":
        return parts[2][:1].isupper() and parts[2] not in _NOT_LAYER_CLASSES
    # keras.src.layers.core.dense.Dense and friends.
    if len(parts) >= 4 and parts[:3] == ["keras", "src", "layers"]:
        return parts[-1][:1].isupper() and parts[-1] not in _NOT_LAYER_CLASSES
    return False


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None (no resolution)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str | None:
    """Absolute module for ``from <level dots><name> import ...`` inside ``module``."""
    if level == 0:
        return name
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
    if name:
        parts.append(name)
    return ".".join(parts) if parts else None


@dataclass
class ImportMap:
    """Local name -> fully qualified name, for one module."""

    module: str = ""
    is_package: bool = False
    names: dict[str, str] = field(default_factory=dict)

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.names[top] = top
            return
        base = resolve_relative(self.module, self.is_package, node.level, node.module)
        if base is None:
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            self.names[alias.asname or alias.name] = f"{base}.{alias.name}"


class Semantic:
    """Resolves expressions of one parsed module to qualified names."""

    def __init__(self, tree: ast.Module, module: str = "", is_package: bool = False) -> None:
        self.module = module
        self.imports = ImportMap(module, is_package)
        self.local_defs: dict[str, ast.AST] = {}
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.local_defs[node.name] = node
        # Imports anywhere in the module count (function-local imports included); module-level
        # definitions shadow nothing here because a name is either imported or defined.
        for node in statements(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports.add(node)

    def qualify_local(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    def resolve(self, node: ast.AST) -> str | None:
        """Qualified, canonical name of a Name/Attribute chain, or None if unknown."""
        text = dotted(node)
        if text is None:
            return None
        head, _, rest = text.partition(".")
        if head in self.imports.names:
            base = self.imports.names[head]
        elif head in self.local_defs:
            base = self.qualify_local(head)
        else:
            return None
        return canonical(f"{base}.{rest}" if rest else base)

    def resolve_call(self, node: ast.AST) -> str | None:
        """Qualified name of the function a Call node calls."""
        if isinstance(node, ast.Call):
            return self.resolve(node.func)
        return None
