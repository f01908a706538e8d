"""Helpers shared by the DLT2xx rules (the Keras layer contract).

Everything here reads the syntax tree only: which ``self.<attr>`` a constructor stores, which
calls create layers, what a ``get_config`` is built from, what the project ancestors of a class
already save, and small text-edit builders for appending items to brackets.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dlt_lint import keras_facts as kf
from dlt_lint.astwalk import child_statements, iter_child_nodes, walk
from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Edit, Position
from dlt_lint.semantic import KERAS_BASES, canonical, is_keras_base

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

# Constructor arguments that the Keras base ``get_config`` already saves (or that ``**kwargs``
# carries to the base class): never required in a subclass ``get_config``.
BASE_CONFIG_KEYS = frozenset({"name", "dtype", "trainable", "activity_regularizer"})

# Keras bases whose ``get_config`` saves nothing but BASE_CONFIG_KEYS.
PLAIN_BASES = frozenset({"keras.layers.Layer", "keras.Layer", "keras.Model", "keras.models.Model"})
MODEL_BASES = frozenset({"keras.Model", "keras.models.Model", "keras.Sequential",
                         "keras.models.Sequential"})
# Bases that contribute nothing to a layer's configuration.
NEUTRAL_BASES = frozenset({"object", "abc.ABC", "typing.Generic", "typing.Protocol"})

# ``*.get(...)`` helpers whose result must be stored through the matching ``serialize``.
SERIALIZABLE_GETTERS = {
    "keras.initializers.get": "initializers",
    "keras.regularizers.get": "regularizers",
    "keras.constraints.get": "constraints",
    "keras.activations.get": "activations",
}


# --------------------------------------------------------------------------- tree walking
def walk_local(node: ast.AST) -> Iterator[ast.AST]:
    """Like ``ast.walk`` over a function body, without entering nested functions, lambdas or
    classes (their code does not run when the enclosing function runs)."""
    stack = list(iter_child_nodes(node)) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
        else [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(iter_child_nodes(n))


def local_statements(func: ast.AST) -> Iterator[ast.AST]:
    """The statements of a function body, nested blocks included, without entering nested
    functions or classes; cheaper than :func:`walk_local` when looking for statements only."""
    stack = child_statements(func)
    while stack:
        n = stack.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(child_statements(n))


def self_name(func: FunctionNode) -> str | None:
    """Name of the instance parameter (``self``) of a method."""
    args = func.args.posonlyargs + func.args.args
    return args[0].arg if args else None


def self_attr(node: ast.AST, selfname: str | None) -> str | None:
    """``attr`` when ``node`` is ``self.attr``."""
    if (selfname and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == selfname):
        return node.attr
    return None


def is_super(node: ast.AST) -> bool:
    """``super()`` or ``super(Cls, self)``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def is_parent_call(call: ast.AST, method: str, selfname: str | None) -> bool:
    """``super().method(...)``, ``super(C, self).method(...)`` or ``Base.method(self, ...)``."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == method):
        return False
    receiver = call.func.value
    if is_super(receiver):
        return True
    # Explicit parent call: Base.method(self, ...)
    return (isinstance(receiver, (ast.Name, ast.Attribute)) and bool(call.args)
            and isinstance(call.args[0], ast.Name) and call.args[0].id == selfname
            and not (isinstance(receiver, ast.Name) and receiver.id == selfname))


def method_of(cls: ast.ClassDef, name: str) -> FunctionNode | None:
    return kf.find_method(cls, name)


def defines(cls: ast.ClassDef, name: str) -> bool:
    """The class body binds ``name`` (a method, or an assignment such as ``get_config = f``)."""
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return True
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                for t in stmt.targets):
            return True
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id == name:
            return True
    return False


def reachable_methods(cls: ast.ClassDef, start: FunctionNode,
                      extra_classes: Iterable[ast.ClassDef] = ()) -> tuple[list[FunctionNode], set[str]]:
    """``start`` plus the methods it calls through ``self.<m>(...)`` (transitively), looked up in
    ``cls`` and then ``extra_classes``. Also returns the names of called self methods that were
    not found."""
    classes = [cls, *extra_classes]
    out: list[FunctionNode] = []
    missing: set[str] = set()
    seen: set[int] = set()
    queue = [start]
    while queue:
        func = queue.pop(0)
        if id(func) in seen:
            continue
        seen.add(id(func))
        out.append(func)
        me = self_name(func)
        for node in walk_local(func):
            if isinstance(node, ast.Call):
                name = self_attr(node.func, me)
                if name is None:
                    continue
                found = next((m for c in classes if (m := method_of(c, name)) is not None), None)
                if found is not None:
                    queue.append(found)
                else:
                    missing.add(name)
    return out, missing


# --------------------------------------------------------------------------- class facts
def local_class(ctx: FileContext, qualname: str | None) -> ast.ClassDef | None:
    """The ClassDef in this file that ``qualname`` names (top-level classes)."""
    if not qualname:
        return None
    module, _, name = qualname.rpartition(".")
    if module != (ctx.module or ""):
        return None
    node = ctx.sem.local_defs.get(name)
    return node if isinstance(node, ast.ClassDef) else None


def base_qualnames(ctx: FileContext, cls: ast.ClassDef) -> list[str | None]:
    return [ctx.sem.resolve(b) for b in cls.bases]


def is_model(ctx: FileContext, cls: ast.ClassDef) -> bool:
    """The class derives (here or across the project) from ``keras.Model`` / ``Sequential``."""
    pending = base_qualnames(ctx, cls)
    seen: set[str] = set()
    while pending:
        q = canonical(pending.pop(0))
        if not q or q in seen:
            continue
        seen.add(q)
        if q in MODEL_BASES:
            return True
        info = ctx.project.find_class(q)
        if info is not None:
            pending.extend(info.bases)
    return False


def project_ancestor_defs(ctx: FileContext, cls: ast.ClassDef) -> tuple[list[ast.ClassDef], bool]:
    """Ancestor ClassDefs found in this file, and whether some project ancestor lives in another
    file (its code is then not visible here)."""
    found: list[ast.ClassDef] = []
    elsewhere = False
    pending = base_qualnames(ctx, cls)
    seen: set[str] = set()
    while pending:
        q = canonical(pending.pop(0))
        if not q or q in seen:
            continue
        seen.add(q)
        info = ctx.project.find_class(q)
        if info is None:
            continue
        node = local_class(ctx, info.qualname)
        if node is not None and node is not cls:
            found.append(node)
        elif node is None:
            elsewhere = True
        pending.extend(info.bases)
    return found, elsewhere


@dataclass(frozen=True)
class InheritedConfig:
    """What the ancestors' ``get_config`` methods save, reached through ``super().get_config()``."""

    keys: frozenset[str]  # keys saved by project ancestors
    has_config: bool  # some project ancestor defines get_config
    dynamic: bool  # some project ancestor's get_config cannot be enumerated
    unknown: bool  # an ancestor whose get_config is not visible (built-in layer, unresolved base)


def inherited_config(ctx: FileContext, cls: ast.ClassDef) -> InheritedConfig:
    keys: set[str] = set()
    has = dynamic = unknown = False
    pending = base_qualnames(ctx, cls)
    seen: set[str] = set()
    while pending:
        q = canonical(pending.pop(0))
        if q is None:
            unknown = True
            continue
        if q in seen or q in PLAIN_BASES or q in NEUTRAL_BASES:
            continue
        seen.add(q)
        info = ctx.project.find_class(q)
        if info is None:
            unknown = True  # a built-in Keras layer (Dense, ...) or a class we cannot see
            continue
        if info.config is not None:
            has = True
            keys |= info.config.keys
            dynamic |= info.config.dynamic
        pending.extend(info.bases)
    return InheritedConfig(frozenset(keys), has, dynamic, unknown)


def config_params(init: FunctionNode, source: str) -> list[kf.Param]:
    """The ``__init__`` parameters a ``get_config`` must save."""
    return [p for p in kf.init_params(init, source)
            if not p.is_variadic and p.name not in BASE_CONFIG_KEYS]


def super_init_calls(init: FunctionNode) -> list[ast.Call]:
    me = self_name(init)
    return [n for n in walk_local(init) if is_parent_call(n, "__init__", me)]


def forwarded_names(init: FunctionNode) -> set[str]:
    """Names used in the arguments of ``super().__init__(...)``."""
    out: set[str] = set()
    for call in super_init_calls(init):
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            out.update(n.id for n in walk(arg) if isinstance(n, ast.Name))
    return out


def covered_params(ctx: FileContext, cls: ast.ClassDef, init: FunctionNode,
                   inherited: InheritedConfig) -> set[str]:
    """Parameters whose config key an ancestor's ``get_config`` provides."""
    covered = set(inherited.keys)
    if inherited.unknown:
        covered |= forwarded_names(init)
    return covered


def init_stores(init: FunctionNode) -> dict[str, list[ast.expr]]:
    """``attr -> [values]`` for every ``self.attr = value`` in ``__init__`` (nested blocks
    included, nested functions excluded)."""
    me = self_name(init)
    out: dict[str, list[ast.expr]] = {}
    for node in walk_local(init):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for t in _flatten_targets(target):
                    attr = self_attr(t, me)
                    if attr is not None:
                        # (for ``self.a, self.b = a, b`` the value is the whole tuple)
                        out.setdefault(attr, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            attr = self_attr(node.target, me)
            if attr is not None:
                out.setdefault(attr, []).append(node.value)
    return out


def _flatten_targets(target: ast.expr) -> Iterator[ast.expr]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _flatten_targets(elt)
    else:
        yield target


def alias_attr(ctx: FileContext, init: FunctionNode, param: str) -> str | None:
    """The attribute a parameter is stored under when it is not ``self.<param>``
    (``self.rate = dropout`` -> ``rate``), only for a direct assignment (possibly through
    ``keras.initializers.get(...)`` and friends)."""
    me = self_name(init)
    for node in walk_local(init):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            attr = self_attr(node.targets[0], me)
            if attr is None:
                continue
            value = node.value
            if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords \
                    and ctx.sem.resolve_call(value) in SERIALIZABLE_GETTERS:
                value = value.args[0]  # self.init = initializers.get(init_arg)
            if isinstance(value, ast.Name) and value.id == param:
                return attr
    return None


def serializer_for(ctx: FileContext, values: list[ast.expr]) -> tuple[str, list[Edit]] | None:
    """``("keras.initializers.serialize", edits)`` when the attribute was set through
    ``<kind>.get(...)``; None when it is stored as is. Raises LookupError when a serializer is
    needed but cannot be spelled (``keras`` name taken)."""
    for value in values:
        if not isinstance(value, ast.Call):
            continue
        q = ctx.sem.resolve_call(value)
        kind = SERIALIZABLE_GETTERS.get(q or "")
        if kind is None:
            continue
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr == "get":
            return f"{ctx.text(func.value)}.serialize", []
        imp, local = ctx.import_edit("keras")
        if local is None:
            raise LookupError(kind)
        return f"{local}.{kind}.serialize", [imp] if imp is not None else []
    return None


def config_value(ctx: FileContext, attr: str, values: list[ast.expr]) -> tuple[str, list[Edit]]:
    """Source text saving ``self.<attr>`` in a config, plus any import edit it needs."""
    ser = serializer_for(ctx, values)
    if ser is None:
        return f"self.{attr}", []
    func, edits = ser
    return f"{func}(self.{attr})", edits


# --------------------------------------------------------------------------- get_config facts
def is_super_config_call(node: ast.AST, selfname: str | None) -> bool:
    return is_parent_call(node, "get_config", selfname)


def calls_super_config(func: FunctionNode) -> bool:
    me = self_name(func)
    return any(is_super_config_call(n, me) for n in walk(func))


def config_is_opaque(func: FunctionNode) -> bool:
    """True when a ``get_config`` merges in mappings whose keys the tree does not show
    (``{**self.extra}``, ``config = self._base_config()``, ``return helper(config)``, ...)."""
    if kf.config_facts(func).dynamic:
        return True
    me = self_name(func)
    assigned: dict[str, list[ast.expr]] = {}
    for node in walk(func):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    assigned.setdefault(t.id, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) \
                and node.value is not None:
            assigned.setdefault(node.target.id, []).append(node.value)

    def known(expr: ast.expr, seen: frozenset[str] = frozenset()) -> bool:
        if isinstance(expr, ast.Dict):
            return all(k is not None or known(v, seen) for k, v in zip(expr.keys, expr.values))
        if is_super_config_call(expr, me):
            return True
        if isinstance(expr, ast.Call):
            f = expr.func
            if isinstance(f, ast.Name) and f.id == "dict":
                return all(known(a, seen) for a in expr.args)
            if isinstance(f, ast.Attribute) and f.attr == "copy" and not expr.args:
                return known(f.value, seen)
            if isinstance(f, ast.Attribute) and f.attr in ("copy", "deepcopy") and len(expr.args) == 1 \
                    and isinstance(f.value, ast.Name) and f.value.id == "copy":
                return known(expr.args[0], seen)
            if isinstance(f, ast.Name) and f.id == "list" and len(expr.args) == 1:
                # dict(list(base.items()) + list(config.items()))
                inner = expr.args[0]
                return (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                        and inner.func.attr == "items" and not inner.args and known(inner.func.value, seen))
            return False
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.BitOr)):
            return known(expr.left, seen) and known(expr.right, seen)
        if isinstance(expr, ast.Name):
            if expr.id in seen or expr.id not in assigned:
                return False
            return all(known(v, seen | {expr.id}) for v in assigned[expr.id])
        return False

    for node in walk(func):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if k is None and not known(v):
                    return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            if not all(known(a) for a in node.args):
                return True
        elif isinstance(node, ast.Return):
            if node.value is None or not known(node.value):
                return True
    return not any(isinstance(n, ast.Return) for n in local_statements(func))


# --------------------------------------------------------------------------- layer creation
def layer_constructor(ctx: FileContext, call: ast.AST) -> str | None:
    """Display name of the layer ``call`` creates (``keras.layers.Dense``, a project Keras class,
    or a ``dl_techniques`` ``create_*`` factory), else None."""
    if not isinstance(call, ast.Call):
        return None
    q = ctx.sem.resolve_call(call)
    if q is None:
        return None
    leaf = q.rpartition(".")[2]
    info = ctx.project.find_class(q)
    if info is not None:
        # A class of the project: a layer only when it derives from one.
        return leaf if any(ctx.project.is_keras(b) for b in info.bases) else None
    if is_keras_base(q):
        return leaf
    if q.startswith("dl_techniques.") and leaf.startswith("create_") and "mask" not in leaf:
        return leaf
    local = local_class(ctx, q)
    if local is not None and ctx.keras_class(local):
        return leaf
    return None


# Built-in Keras layers without weights: building them creates nothing that loading a saved
# model would need.
WEIGHTLESS_LAYERS = frozenset({
    "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise", "AlphaDropout",
    "ActivityRegularization", "Flatten", "Reshape", "Permute", "RepeatVector", "Identity", "Masking",
    "Cropping1D", "Cropping2D", "Cropping3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "GlobalMaxPool3D", "Add", "Subtract", "Multiply", "Average", "Maximum",
    "Minimum", "Concatenate", "Dot",
})


def weightless_attrs(ctx: FileContext, init: FunctionNode) -> set[str]:
    """Attributes ``__init__`` only ever sets to a weightless built-in Keras layer (or None)."""
    out: set[str] = set()
    for attr, values in init_stores(init).items():
        kinds = []
        pending = list(values)
        while pending:
            value = pending.pop()
            if isinstance(value, ast.IfExp):
                pending += [value.body, value.orelse]
                continue
            if isinstance(value, ast.Constant) and value.value is None:
                continue
            q = canonical(ctx.sem.resolve_call(value)) if isinstance(value, ast.Call) else None
            kinds.append(bool(q) and is_keras_base(q) and q.rpartition(".")[2] in WEIGHTLESS_LAYERS
                         and ctx.project.find_class(q) is None)
        if kinds and all(kinds):
            out.add(attr)
    return out


@dataclass
class SubLayer:
    """A sub-layer attribute created in ``__init__``."""

    attr: str
    node: ast.Attribute  # the first ``self.attr`` target that receives a layer
    optional: bool  # may be None
    is_list: bool  # a list / tuple of layers


def sublayers(ctx: FileContext, init: FunctionNode, factories: Iterable[str] = ()) -> list[SubLayer]:
    """Sub-layer attributes ``__init__`` creates, in order of first creation. ``factories``
    names methods of the class that return a new layer (``self.make_dense(...)``)."""
    me = self_name(init)
    factories = frozenset(factories)

    def _creates_layer(ctx: FileContext, value: ast.expr) -> str | None:
        return _creates(ctx, value, me, factories)

    found: dict[str, SubLayer] = {}
    nones: set[str] = set()
    for node in sorted((n for n in local_statements(init) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.Expr))),
                       key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node, ast.Expr):
            # self.blocks.append(Dense(...))
            call = node.value
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("append", "extend", "insert")):
                attr = self_attr(call.func.value, me)
                if attr is not None and any(_creates_layer(ctx, a) for a in call.args):
                    if attr not in found:
                        found[attr] = SubLayer(attr, call.func.value, False, True)
                    else:
                        found[attr].is_list = True
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            continue
        for target in targets:
            attr = self_attr(target, me)
            if attr is None:
                continue
            if isinstance(value, ast.Constant) and value.value is None:
                nones.add(attr)
                continue
            kind = _creates_layer(ctx, value)
            if not kind:
                continue
            if attr not in found:
                found[attr] = SubLayer(attr, target, kind == "optional", kind == "list")
            else:
                found[attr].optional |= kind == "optional"
                found[attr].is_list |= kind == "list"
    for attr in nones:
        if attr in found:
            found[attr].optional = True
    return list(found.values())


_FUNCTIONAL_MODELS = frozenset({"keras.Model", "keras.models.Model"})
_SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential"})
_INPUTS = frozenset({"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"})


def _already_built(ctx: FileContext, call: ast.Call) -> bool:
    """A functional model (``keras.Model(inputs, outputs)``) or a ``Sequential`` that starts with
    an ``Input``: Keras builds these when they are constructed."""
    q = ctx.sem.resolve_call(call)
    if q in _FUNCTIONAL_MODELS:
        return len(call.args) >= 2 or any(k.arg in ("inputs", "outputs") for k in call.keywords)
    if q in _SEQUENTIAL and call.args and isinstance(call.args[0], (ast.List, ast.Tuple)):
        return any(isinstance(e, ast.Call) and ctx.sem.resolve_call(e) in _INPUTS
                   for e in call.args[0].elts)
    return False


def layer_call(ctx: FileContext, value: ast.AST, selfname: str | None,
               factories: frozenset[str] = frozenset()) -> str | None:
    """Like :func:`layer_constructor`, also counting ``self.<factory method>(...)``."""
    made = layer_constructor(ctx, value)
    if made is not None:
        return made
    if isinstance(value, ast.Call):
        m = self_attr(value.func, selfname)
        if m is not None and m in factories:
            return f"self.{m}()"
    return None


def _creates(ctx: FileContext, value: ast.expr, me: str | None, factories: frozenset[str]) -> str | None:
    """"layer", "optional" (a layer or None), "list" (a list of layers) or None."""
    if layer_call(ctx, value, me, factories):
        return None if _already_built(ctx, value) else "layer"  # type: ignore[arg-type]

    def _creates_layer(ctx: FileContext, v: ast.expr) -> str | None:
        return _creates(ctx, v, me, factories)

    if isinstance(value, ast.IfExp):
        a, b = _creates_layer(ctx, value.body), _creates_layer(ctx, value.orelse)
        if a or b:
            other = value.orelse if a else value.body
            if a and b:
                return a if a == b else "optional"
            if isinstance(other, ast.Constant) and other.value is None:
                return "optional" if (a or b) != "list" else "list"
        return None
    if isinstance(value, (ast.List, ast.Tuple)):
        return "list" if any(_creates_layer(ctx, e) for e in value.elts) else None
    if isinstance(value, (ast.ListComp, ast.GeneratorExp)):
        return "list" if _creates_layer(ctx, value.elt) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("list", "tuple") \
            and value.args:
        return "list" if _creates_layer(ctx, value.args[0]) else None
    return None


def factory_methods(ctx: FileContext, cls: ast.ClassDef) -> set[str]:
    """Methods of ``cls`` whose every ``return`` hands back a newly constructed layer."""
    out: set[str] = set()
    for stmt in cls.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                or stmt.name in ("__init__", "build", "call", "get_config"):
            continue
        returns = [n for n in local_statements(stmt) if isinstance(n, ast.Return)]
        if returns and all(r.value is not None and layer_constructor(ctx, r.value) for r in returns):
            out.add(stmt.name)
    return out


def collected_class_facts(ctx: FileContext, info_qualname: str) -> dict | None:
    """The DLT205 collect facts of a class of another module (None: not collected)."""
    module, _, name = info_qualname.rpartition(".")
    summary = ctx.project.modules.get(module)
    collected = summary.extras.get(COLLECT_KEY) if summary is not None else None
    if not isinstance(collected, dict):
        return None
    return collected.get("classes", {}).get(name, {})


def class_factories(ctx: FileContext, cls: ast.ClassDef) -> frozenset[str]:
    """Layer factory methods of ``cls`` and of its project ancestors."""
    out = factory_methods(ctx, cls)
    seen: set[str] = set()
    for base in base_qualnames(ctx, cls):
        for info in ctx.project.ancestors(base):
            if info.qualname in seen:
                continue
            seen.add(info.qualname)
            node = local_class(ctx, info.qualname)
            if node is not None:
                out |= factory_methods(ctx, node)
            else:
                facts = collected_class_facts(ctx, info.qualname) or {}
                out |= set(facts.get("factories", ()))
    # A method the class itself overrides decides.
    return frozenset(m for m in out if method_of(cls, m) is None or m in factory_methods(ctx, cls))


# --------------------------------------------------------------------------- subclass facts
SUBCLASS_KEY = "DLT20x-subclass-init"


def subclass_facts(ctx: FileContext, tree: ast.Module) -> dict[str, Any] | None:
    """Per top-level class that may derive from a project class: its bases (qualified) and
    the base ``__init__`` arguments its own ``__init__`` decides (collected project-wide so a
    base class's rule can see what its subclasses fix)."""
    classes: dict[str, Any] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not node.bases:
            continue
        bases = [canonical(q) for q in base_qualnames(ctx, node)]
        if all(q is None or q in KERAS_BASES or q in NEUTRAL_BASES for q in bases):
            continue
        init = method_of(node, "__init__")
        keywords, positional = decided_base_arguments(init) if init is not None else ([], [])
        classes[node.name] = {"bases": [q for q in bases if q], "keywords": keywords,
                              "positional": positional}
    return {"classes": classes} if classes else None


def decided_base_arguments(init: FunctionNode) -> tuple[list[str], list[bool] | None]:
    """What ``__init__`` decides for its base: the keywords it passes to ``super().__init__``
    that are not its own parameters, and per positional argument whether it is such a value
    (None: a starred argument makes positions unknowable). With several calls, only what every
    call decides."""
    own = {a.arg for a in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)}
    calls = super_init_calls(init)
    if not calls:
        return [], []
    keywords: set[str] | None = None
    positional: list[bool] | None = None
    for n, call in enumerate(calls):
        decided = {k.arg for k in call.keywords if k.arg and k.arg not in own}
        keywords = decided if keywords is None else keywords & decided
        args = call.args if is_super(call.func.value) else call.args[1:]  # Base.__init__(self, ...)
        if any(isinstance(a, ast.Starred) for a in args):
            this = None
        else:
            this = [not (isinstance(a, ast.Name) and a.id in own) for a in args]
        if n == 0:
            positional = this
        elif positional is not None and this is not None:
            positional = [a and b for a, b in zip(positional, this)]
        else:
            positional = None
    return sorted(keywords or ()), positional


def fixed_by_subclasses(ctx: FileContext, cls: ast.ClassDef, init: FunctionNode) -> set[str]:
    """``__init__`` parameters of ``cls`` that every project subclass decides itself (passes
    to ``super().__init__`` without taking them as parameters): the subclasses' configs must
    not carry them, so the base's ``get_config`` rightly leaves them out. Empty when the
    project has no subclass of ``cls``."""
    me = ctx.sem.qualify_local(cls.name)
    order = [a.arg for a in (*init.args.posonlyargs, *init.args.args)][1:]  # without self
    # This file's classes come from its text (the index may hold an older summary of it).
    sources = [(ctx.sem.module, subclass_facts(ctx, ctx.tree))]
    sources += [(s.module, facts) for s, facts in ctx.project.extras(SUBCLASS_KEY) if s.module != ctx.sem.module]
    result: set[str] | None = None
    for module, facts in sources:
        for name, fact in (facts or {}).get("classes", {}).items():
            if f"{module}.{name}" == me or not _derives_from(ctx, fact.get("bases", ()), me, cls.name):
                continue
            decided = set(fact.get("keywords", ()))
            positional = fact.get("positional")
            if positional is None:
                return set()  # a subclass passes *args: nothing is known
            decided.update(p for p, fixed in zip(order, positional) if fixed)
            result = decided if result is None else result & decided
            if not result:
                return set()
    return result or set()


def _derives_from(ctx: FileContext, bases: Iterable[str], me: str, name: str) -> bool:
    for base in bases:
        if base == me:
            return True
        if base.rpartition(".")[2] == name:  # perhaps a re-export of the same class
            info = ctx.project.find_class(base)
            if info is not None and info.qualname == me:
                return True
    return False


COLLECT_KEY = "DLT205-build-facts"


# --------------------------------------------------------------------------- build facts
# Iterating over these means "every tracked sub-layer".
_ALL_LAYERS_ATTRS = frozenset({"_layers", "layers", "submodules", "_flatten_layers", "_tracker",
                               "__dict__", "_sublayers"})


@dataclass
class BuildFacts:
    """What one class's ``build()`` (and the helpers it calls) builds."""

    has_build: bool
    built: set[str]
    opaque: bool  # builds sub-layers in a way the tree cannot attribute (all count as built)
    calls_super: bool  # calls super().build(...)


def build_facts(cls: ast.ClassDef, extra_classes: Iterable[ast.ClassDef] = (),
                hidden_ancestors: bool = False) -> BuildFacts:
    """Facts about ``cls.build``; ``extra_classes`` are ancestors whose methods are visible,
    ``hidden_ancestors`` says some ancestor's code is not (a helper called as ``self.<m>()``
    that is not found is then assumed to build anything)."""
    build = method_of(cls, "build")
    if build is None:
        return BuildFacts(False, set(), False, False)
    extra_classes = list(extra_classes)
    methods, missing = reachable_methods(cls, build, extra_classes)
    missing -= _KERAS_LAYER_METHODS
    missing -= {a for c in (cls, *extra_classes) for a in assigned_attrs(c)}
    built: set[str] = set()
    opaque = False
    calls_super = False
    for func in methods:
        me = self_name(func)
        for node in walk_local(func):
            if is_parent_call(node, "build", me):
                calls_super = True
            if isinstance(node, ast.Call):
                f = node.func
                # self.x.build(...), self.x[i].build(...), self.x(...), self.x[i](...)
                target = f.value if isinstance(f, ast.Attribute) and f.attr == "build" else f
                if isinstance(target, ast.Subscript):
                    target = target.value
                attr = self_attr(target, me)
                if attr is not None and method_of(cls, attr) is None:
                    built.add(attr)
                # getattr(self, "x") / getattr(self, name)
                if isinstance(f, ast.Name) and f.id in ("getattr", "vars") and node.args \
                        and isinstance(node.args[0], ast.Name) and node.args[0].id == me:
                    if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                            and isinstance(node.args[1].value, str):
                        built.add(node.args[1].value)
                    else:
                        opaque = True
                # helper(self.x, ...) / helper([self.x, self.y]): the helper may build them
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    elts = arg.elts if isinstance(arg, (ast.List, ast.Tuple, ast.Set)) else [arg]
                    for elt in elts:
                        a = self_attr(elt, me)
                        if a is not None:
                            built.add(a)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                for sub in walk(node.iter):
                    a = self_attr(sub, me)
                    if a is not None:
                        built.add(a)
                        if a in _ALL_LAYERS_ATTRS:
                            opaque = True
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute):
                a = self_attr(node.value, me)  # alias = self.x
                if a is not None:
                    built.add(a)
            elif isinstance(node, ast.Attribute) and node.attr in ("__dict__",) \
                    and isinstance(node.value, ast.Name) and node.value.id == me:
                opaque = True
    if hidden_ancestors and any(not m.startswith("compute_") for m in missing):
        opaque = True  # self.<helper>(...) defined in a base class we cannot see
    return BuildFacts(True, built, opaque, calls_super)


def assigned_attrs(cls: ast.ClassDef) -> set[str]:
    """Attributes assigned as ``self.<attr> = ...`` in any method of the class."""
    out: set[str] = set()
    for stmt in cls.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        me = self_name(stmt)
        for node in walk_local(stmt):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = [t for target in node.targets for t in _flatten_targets(target)]
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            for t in targets:
                a = self_attr(t, me)
                if a is not None:
                    out.add(a)
    return out


_KERAS_LAYER_METHODS = frozenset({
    "add_weight", "add_variable", "add_loss", "add_metric", "compute_output_shape",
    "compute_output_spec", "compute_mask", "get_config", "get_build_config", "build",
    "_check_super_called", "_track_variable", "_maybe_build", "count_params", "get_weights",
    "set_weights", "call", "__call__", "_post_build", "_lock_state", "_build_by_run",
})


# --------------------------------------------------------------------------- text edits
def _significant_after(ctx: FileContext, pos: Position) -> tuple[Position, str] | None:
    """The first character after ``pos`` that is not whitespace or part of a comment."""
    row, col = pos.row, pos.column
    while row <= len(ctx.lines):
        line = ctx.lines[row - 1]
        while col < len(line):
            ch = line[col]
            if ch == "#":
                break
            if not ch.isspace() and ch != "\\":
                return Position(row, col), ch
            col += 1
        row, col = row + 1, 0
    return None


def entry_indent(ctx: FileContext, start: Position) -> str | None:
    """Indentation of the line an item starts, when the item is the first thing on it."""
    line = ctx.lines[start.row - 1]
    indent = line[: len(line) - len(line.lstrip())]
    return indent if len(indent) == start.column else None


def append_items(ctx: FileContext, last_end: Position | None, close: Position, items: list[str],
                 last_start: Position | None = None) -> list[Edit] | None:
    """Edits appending ``items`` to a bracketed, comma-separated sequence whose last item ends at
    ``last_end`` (None: empty) and whose closing bracket is at ``close``. Keeps the layout: one
    item per line for exploded sequences, inline otherwise."""
    if not items:
        return []
    if last_end is None:
        return [ctx.insert_at(close, ", ".join(items))]
    nxt = _significant_after(ctx, last_end)
    if nxt is None:
        return None
    pos, ch = nxt
    has_comma = ch == ","
    if not has_comma and pos != close:
        return None
    close_line = ctx.lines[close.row - 1]
    exploded = close.row > last_end.row and close_line[: close.column].strip() == ""
    indent = entry_indent(ctx, last_start) if last_start is not None else None
    if exploded and indent is not None:
        edits = [] if has_comma else [ctx.insert_at(last_end, ",")]
        edits.append(ctx.insert_line_before(close.row, "\n".join(f"{indent}{it}," for it in items)))
        return edits
    if has_comma:
        return [ctx.insert_at(Position(pos.row, pos.column + 1), " " + ", ".join(items) + ",")]
    return [ctx.insert_at(last_end, ", " + ", ".join(items))]


def append_to_dict(ctx: FileContext, node: ast.Dict, entries: list[str]) -> list[Edit] | None:
    close = Position(ctx.end(node).row, ctx.end(node).column - 1)
    if not node.values:
        return [ctx.insert_at(close, ", ".join(entries))]
    last_key, last_value = node.keys[-1], node.values[-1]
    if last_key is not None:
        start = ctx.start(last_key)
    else:
        vstart = ctx.start(last_value)
        start = Position(vstart.row, max(vstart.column - 2, 0))
    return append_items(ctx, ctx.end(last_value), close, entries, start)


def append_call_args(ctx: FileContext, call: ast.Call, args: list[str]) -> list[Edit] | None:
    close = Position(ctx.end(call).row, ctx.end(call).column - 1)
    items: list[ast.AST] = [*call.args, *call.keywords]
    if not items:
        return [ctx.insert_at(close, ", ".join(args))]
    last = max(items, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
    # (a ``**mapping`` keyword node starts at its ``**``, a Starred at its ``*``)
    return append_items(ctx, ctx.end(last), close, args, ctx.start(last))


def prepend_call_arg(ctx: FileContext, call: ast.Call, text: str) -> Edit | None:
    """Insert ``text`` as the first argument of ``call``."""
    items: list[ast.AST] = [*call.args, *call.keywords]
    close = Position(ctx.end(call).row, ctx.end(call).column - 1)
    if not items:
        return ctx.insert_at(close, text)
    first = min(items, key=lambda n: (n.lineno, n.col_offset))
    fstart = ctx.start(first)
    indent = entry_indent(ctx, fstart)
    if fstart.row > ctx.start(call).row and indent is not None:
        return ctx.insert_line_before(fstart.row, f"{indent}{text},")
    return ctx.insert_at(fstart, f"{text}, ")


def last_param(func: FunctionNode) -> ast.arg | None:
    a = func.args
    if a.kwarg:
        return a.kwarg
    if a.kwonlyargs:
        return a.kwonlyargs[-1]
    if a.vararg:
        return a.vararg
    positional = a.posonlyargs + a.args
    return positional[-1] if positional else None


def param_end(func: FunctionNode, arg: ast.arg) -> ast.AST:
    """The node ending a parameter: its default when it has one, else the ``arg`` itself."""
    a = func.args
    if arg in a.kwonlyargs:
        default = a.kw_defaults[a.kwonlyargs.index(arg)]
        return default if default is not None else arg
    positional = a.posonlyargs + a.args
    if arg in positional:
        offset = len(positional) - len(a.defaults)
        i = positional.index(arg)
        if i >= offset:
            return a.defaults[i - offset]
    return arg


def append_params(ctx: FileContext, func: FunctionNode, params: list[str]) -> list[Edit] | None:
    """Edits appending ``params`` to a function signature (None when the layout is unusual)."""
    arg = last_param(func)
    if arg is None:
        return None
    if func.args.posonlyargs and arg is func.args.posonlyargs[-1]:
        return None  # a trailing ``/`` follows
    end_node = param_end(func, arg)
    end = ctx.end(end_node)
    nxt = _significant_after(ctx, end)
    if nxt is None:
        return None
    pos, ch = nxt
    if ch == ",":
        nxt = _significant_after(ctx, Position(pos.row, pos.column + 1))
        if nxt is None:
            return None
        close, ch = nxt
    else:
        close = pos
    if ch != ")":
        return None
    start = ctx.start(arg)
    if isinstance(arg, ast.arg) and (arg is func.args.vararg or arg is func.args.kwarg):
        start = Position(start.row, max(start.column - (2 if arg is func.args.kwarg else 1), 0))
    return append_items(ctx, end, close, params, start)


def block_indent(ctx: FileContext, func: FunctionNode) -> str | None:
    """Indentation of a function's body (None for a body on the ``def`` line)."""
    if not func.body or func.body[0].lineno == func.lineno:
        return None
    return ctx.indent_of(func.body[0].lineno)


def indent_unit(ctx: FileContext, node: ast.ClassDef | FunctionNode) -> str:
    outer = ctx.indent_of(node.lineno)
    inner = ctx.body_indent(node)
    unit = inner[len(outer):] if inner.startswith(outer) else ""
    return unit or "    "


def is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def only_raises(func: FunctionNode) -> bool:
    body = [s for s in func.body if not is_docstring(s)]
    return bool(body) and all(isinstance(s, ast.Raise) for s in body)
