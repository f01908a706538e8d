"""Static reading of the framework's factory registries (no Keras, no imports of the framework).

A factory module (``dl_techniques/layers/<kind>/factory.py``) keeps its registry as a
module-level dict literal. Two spellings are understood:

* guide 000: a class map ``_ATTENTION_LAYER_REGISTRY = {"type": Class, ...}`` plus a parameter
  table ``_ATTENTION_PARAMS = {"type": {"required": [...], "optional": {...}}, ...}`` (an entry
  may also carry ``"class"``), next to an ``AttentionType = Literal[...]`` alias;
* one table ``<KIND>_REGISTRY = {"type": {"class": Class, "required"/"required_params": [...],
  "optional"/"optional_params": {...}, "description": "..."}}``.

:func:`read_registries` turns a parsed module into :class:`FactoryRegistry` objects (with the
``ast`` nodes, for rules that report inside the factory module); :meth:`FactoryRegistry.to_facts`
gives the picklable summary stored in the project index by :func:`collect` (collect key
``"attention-registry"``; its ``"classes"`` entry is what ``FileContext.attention_class`` reads).
:func:`framework_registries` answers "which registries does the linted code use?": the ones
found in the project's own files, completed by the installed ``dl_techniques`` package, read
from its files with ``ast`` (located with ``importlib.util.find_spec``, which for a top-level
package finds the directory without executing it).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from dlt_lint.astwalk import walk
from dlt_lint.semantic import Semantic

if TYPE_CHECKING:
    from dlt_lint.context import FileContext

COLLECT_KEY = "attention-registry"
ATTENTION_MODULE_OPTION = "factories.attention-module"
INSTALLED_OPTION = "factories.search-installed"
FRAMEWORK_PACKAGE = "dl_techniques"

_REQUIRED_KEYS = ("required", "required_params")
_OPTIONAL_KEYS = ("optional", "optional_params")
_CLASS_KEYS = ("class", "cls")
_ENTRY_KEYS = frozenset({*_CLASS_KEYS, *_REQUIRED_KEYS, *_OPTIONAL_KEYS, "description"})
_LITERAL_NAMES = frozenset({"typing.Literal", "typing_extensions.Literal"})


@dataclass
class RegistryEntry:
    """One registered type."""

    key: str
    cls: str | None = None  # qualified name of the class (None: not a resolvable name)
    required: list[str] | None = None  # None: absent or not a literal list of strings
    optional: dict[str, str | None] | None = None  # name -> default source text (None: not given)
    description: str | None = None
    # When the entry names a function of the factory module instead of a class: the classes
    # that function returns (``"window": create_window`` -> ``WindowAttention``).
    builds: list[str] | None = None
    # ast nodes inside the factory module (not part of the picklable facts)
    key_node: ast.expr | None = field(default=None, repr=False, compare=False)
    class_node: ast.expr | None = field(default=None, repr=False, compare=False)
    optional_nodes: dict[str, ast.expr] = field(default_factory=dict, repr=False, compare=False)

    def to_facts(self) -> dict[str, Any]:
        """Picklable, JSON-compatible summary (stored in the project index)."""
        return {"key": self.key, "class": self.cls, "required": self.required,
                "optional": self.optional, "description": self.description, "builds": self.builds}

    @classmethod
    def from_facts(cls, data: dict[str, Any]) -> "RegistryEntry":
        """Rebuild from :meth:`to_facts` output."""
        return cls(data["key"], data.get("class"), data.get("required"), data.get("optional"),
                   data.get("description"), data.get("builds"))


@dataclass
class LiteralAlias:
    """``<Kind>Type = Literal["a", "b", ...]`` next to a registry."""

    name: str
    values: list[str]
    node: ast.Subscript | None = field(default=None, repr=False, compare=False)


@dataclass
class FactoryFunction:
    """A ``create_*`` function that takes a registry key as its first argument."""

    name: str
    type_param: str  # name of the parameter holding the type string
    # True when the function passes its keywords to the class unchanged (``create_<kind>_layer``),
    # so a missing required parameter is certainly an error; wrappers such as ``create_ffn``
    # derive some of them.
    strict: bool
    params: tuple[str, ...] = ()  # explicit parameter names (besides **kwargs)


@dataclass
class FactoryRegistry:
    """The registry of one factory module."""

    module: str
    kind: str  # "attention", "ffn", "normalization", "embedding", ...
    names: list[str]  # variables holding it (class map first)
    entries: dict[str, RegistryEntry]  # registry order
    functions: dict[str, FactoryFunction] = field(default_factory=dict)
    literal: LiteralAlias | None = None
    # keys of each variable, when the registry is split over two dicts (guide-000 spelling)
    keys_by_name: dict[str, list[str]] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """Registered type strings, in registry order."""
        return list(self.entries)

    @property
    def package(self) -> str:
        """Dotted name of the package holding the factory module."""
        return self.module.rpartition(".")[0]

    def classes(self) -> list[str]:
        """Qualified names of the registered classes (and of those registered functions build)."""
        out = [e.cls for e in self.entries.values() if e.cls]
        out += [q for e in self.entries.values() for q in (e.builds or ()) if q not in out]
        return out

    def to_facts(self) -> dict[str, Any]:
        """Picklable, JSON-compatible summary (stored in the project index)."""
        return {
            "module": self.module, "kind": self.kind, "names": list(self.names),
            "entries": [e.to_facts() for e in self.entries.values()],
            "functions": [[f.name, f.type_param, f.strict, list(f.params)]
                          for f in self.functions.values()],
            "literal": [self.literal.name, list(self.literal.values)] if self.literal else None,
            "keys_by_name": {k: list(v) for k, v in self.keys_by_name.items()},
        }

    @classmethod
    def from_facts(cls, data: dict[str, Any]) -> "FactoryRegistry":
        """Rebuild from :meth:`to_facts` output."""
        entries = {}
        for e in data.get("entries", []):
            entry = RegistryEntry.from_facts(e)
            entries[entry.key] = entry
        functions = {f[0]: FactoryFunction(f[0], f[1], bool(f[2]), tuple(f[3] if len(f) > 3 else ()))
                     for f in data.get("functions", [])}
        lit = data.get("literal")
        return cls(data["module"], data["kind"], list(data.get("names", [])), entries, functions,
                   LiteralAlias(lit[0], list(lit[1])) if lit else None,
                   {k: list(v) for k, v in data.get("keys_by_name", {}).items()})

    def serves(self, qualname: str | None) -> FactoryFunction | None:
        """The factory function ``qualname`` names: defined in this module, or re-exported by one
        of its parent packages under the same name (``dl_techniques.layers.ffn.create_ffn_layer``)."""
        if not qualname:
            return None
        prefix, _, name = qualname.rpartition(".")
        func = self.functions.get(name)
        if func is None:
            return None
        if prefix == self.module or (prefix and self.module.startswith(prefix + ".")):
            return func
        return None


# --------------------------------------------------------------------------- reading
def kind_of(variable: str) -> str:
    """``_ATTENTION_LAYER_REGISTRY`` -> ``attention``; ``NORMALIZATION_REGISTRY`` -> ``normalization``."""
    name = variable.strip("_").lower()
    for suffix in ("_registry", "_params", "_parameters", "_layers", "_layer", "_types", "_table"):
        while name.endswith(suffix):
            name = name[: -len(suffix)]
    return name or variable.lower()


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _str_list(node: ast.AST | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [_string(e) for e in node.elts]
        if all(v is not None for v in values):
            return [v for v in values if v is not None]
    return None


def _module_assignments(tree: ast.Module) -> list[tuple[str, ast.expr, ast.stmt]]:
    """``NAME = value`` / ``NAME: T = value`` at module level (also inside ``if`` / ``try``)."""
    out: list[tuple[str, ast.expr, ast.stmt]] = []

    def visit(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name):
                out.append((stmt.targets[0].id, stmt.value, stmt))
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                    and stmt.value is not None:
                out.append((stmt.target.id, stmt.value, stmt))
            elif type(stmt).__name__ == "TypeAlias":  # ``type X = ...`` (Python 3.12+)
                name = getattr(stmt, "name", None)
                if isinstance(name, ast.Name):
                    out.append((name.id, stmt.value, stmt))  # type: ignore[attr-defined]
            elif isinstance(stmt, ast.If):
                visit(stmt.body)
                visit(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                for block in (stmt.body, stmt.orelse, stmt.finalbody, *[h.body for h in stmt.handlers]):
                    visit(block)

    visit(tree.body)
    return out


def _entry_table(value: ast.expr) -> bool:
    """A dict of ``"type": {"class"/"required"/"optional"...: ...}`` entries."""
    if not isinstance(value, ast.Dict) or not value.keys:
        return False
    for k, v in zip(value.keys, value.values):
        if _string(k) is None or not isinstance(v, ast.Dict):
            return False
        if not any(_string(kk) in _ENTRY_KEYS for kk in v.keys):
            return False
    return True


def _class_map(value: ast.expr, sem: Semantic) -> bool:
    """A dict of ``"type": ClassName`` (names that resolve)."""
    if not isinstance(value, ast.Dict) or not value.keys:
        return False
    for k, v in zip(value.keys, value.values):
        if _string(k) is None or not isinstance(v, (ast.Name, ast.Attribute)):
            return False
        if sem.resolve(v) is None:
            return False
    return True


def _literal_alias(name: str, value: ast.expr, sem: Semantic) -> LiteralAlias | None:
    if not isinstance(value, ast.Subscript):
        return None
    if sem.resolve(value.value) not in _LITERAL_NAMES:
        return None
    sl = value.slice
    elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
    values = [_string(e) for e in elts]
    if not values or any(v is None for v in values):
        return None
    return LiteralAlias(name, [v for v in values if v is not None], value)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def is_factory_module(module: str, attention_module: str | None = None) -> bool:
    """Registries are read from modules named ``factory`` and from the configured attention
    registry module."""
    return module.rpartition(".")[2] == "factory" or (bool(attention_module) and module == attention_module)


def read_registries(tree: ast.Module, sem: Semantic, source: str | None = None) -> list[FactoryRegistry]:
    """Every registry defined in one (factory) module, with its factory functions and the
    ``<Kind>Type`` literal that lists its keys."""
    assignments = _module_assignments(tree)
    tables: dict[str, list[tuple[str, ast.Dict]]] = {}  # kind -> [(name, dict)]
    class_maps: dict[str, list[tuple[str, ast.Dict]]] = {}
    literals: dict[str, LiteralAlias] = {}
    for name, value, _stmt in assignments:
        if _entry_table(value):
            tables.setdefault(kind_of(name), []).append((name, value))  # type: ignore[arg-type]
        elif _class_map(value, sem):
            class_maps.setdefault(kind_of(name), []).append((name, value))  # type: ignore[arg-type]
        else:
            alias = _literal_alias(name, value, sem)
            if alias is not None and name.endswith("Type"):
                literals[_squash(name[: -len("Type")])] = alias
    registries: list[FactoryRegistry] = []
    segment = _Segments(source)
    for kind in list(dict.fromkeys([*class_maps, *tables])):
        maps = class_maps.get(kind, [])
        tabs = tables.get(kind, [])
        if not tabs and not kind.endswith("registry") and not any("REGISTRY" in n for n, _ in maps):
            continue  # a bare name -> class dict that is not called a registry
        reg = FactoryRegistry(sem.module, kind, [n for n, _ in maps] + [n for n, _ in tabs], {})
        for name, node in maps:
            reg.keys_by_name[name] = []
            for k, v in zip(node.keys, node.values):
                key = _string(k)
                assert key is not None
                reg.keys_by_name[name].append(key)
                entry = reg.entries.setdefault(key, RegistryEntry(key))
                if entry.cls is None:
                    entry.cls = sem.resolve(v)
                    entry.class_node = v
                if entry.key_node is None:
                    entry.key_node = k
        for name, node in tabs:
            reg.keys_by_name[name] = []
            for k, v in zip(node.keys, node.values):
                key = _string(k)
                assert key is not None and isinstance(v, ast.Dict)
                reg.keys_by_name[name].append(key)
                entry = reg.entries.setdefault(key, RegistryEntry(key))
                entry.key_node = k  # report on the parameter table's key
                _fill_entry(entry, v, sem, segment)
        if not reg.entries:
            continue
        if len(reg.keys_by_name) < 2:
            reg.keys_by_name = {}
        registries.append(reg)
    _attach_functions(tree, registries)
    _attach_builders(tree, sem, registries)
    for reg in registries:
        reg.literal = literals.get(_squash(reg.kind))
    return registries


def _attach_builders(tree: ast.Module, sem: Semantic, registries: list[FactoryRegistry]) -> None:
    """For entries naming a function of this module: the classes its ``return`` statements build."""
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for reg in registries:
        for entry in reg.entries.values():
            func = functions.get(entry.cls.rpartition(".")[2]) if entry.cls and \
                entry.cls == f"{sem.module}.{entry.cls.rpartition('.')[2]}" else None
            if func is None:
                continue
            built = []
            for node in walk(func):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
                    q = sem.resolve_call(node.value)
                    if q and q not in built:
                        built.append(q)
            entry.builds = built or None


class _Segments:
    """``ast.get_source_segment`` without re-splitting the source for every node."""

    def __init__(self, source: str | None) -> None:
        # Physical lines as ``ast`` numbers them (``\r\n``, ``\r`` or ``\n``), ends kept.
        self.lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source) if source is not None else None

    def __call__(self, node: ast.AST) -> str:
        lines = self.lines
        end_lineno = getattr(node, "end_lineno", None)
        if lines is None or end_lineno is None or end_lineno > len(lines):
            return ast.unparse(node)
        first, last = node.lineno - 1, end_lineno - 1  # type: ignore[attr-defined]
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if first == last:
            return lines[first].encode("utf-8")[start:end].decode("utf-8", "replace")
        parts = [lines[first].encode("utf-8")[start:].decode("utf-8", "replace"), *lines[first + 1:last],
                 lines[last].encode("utf-8")[:end].decode("utf-8", "replace")]
        return "".join(parts)


def _fill_entry(entry: RegistryEntry, spec: ast.Dict, sem: Semantic, segment: "_Segments") -> None:
    for kk, vv in zip(spec.keys, spec.values):
        field_name = _string(kk)
        if field_name in _CLASS_KEYS:
            if entry.cls is None and isinstance(vv, (ast.Name, ast.Attribute)):
                entry.cls = sem.resolve(vv)
                entry.class_node = vv
        elif field_name in _REQUIRED_KEYS:
            entry.required = _str_list(vv)
        elif field_name in _OPTIONAL_KEYS:
            if isinstance(vv, ast.Dict) and all(_string(x) is not None for x in vv.keys):
                entry.optional = {}
                for ok, ov in zip(vv.keys, vv.values):
                    name = _string(ok)
                    assert name is not None
                    entry.optional[name] = segment(ov)
                    entry.optional_nodes[name] = ov
            elif (names := _str_list(vv)) is not None:  # names only: defaults live in the class
                entry.optional = {name: None for name in names}
        elif field_name == "description":
            entry.description = _string(vv)


def _attach_functions(tree: ast.Module, registries: list[FactoryRegistry]) -> None:
    if not registries:
        return
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        name = stmt.name
        if not name.startswith("create_") or name.endswith("_from_config"):
            continue
        positional = stmt.args.posonlyargs + stmt.args.args
        if not positional:
            continue
        first = positional[0].arg
        if not (first == "type" or first.endswith("_type")):
            continue
        params = tuple(a.arg for a in positional + stmt.args.kwonlyargs)
        func = FactoryFunction(name, first, name.endswith("_layer"), params)
        if len(registries) == 1:
            registries[0].functions[name] = func
            continue
        squashed = _squash(name)
        owners = [r for r in registries if _squash(r.kind) and _squash(r.kind) in squashed]
        if len(owners) == 1:
            owners[0].functions[name] = func


# --------------------------------------------------------------------------- collect hook
def attention_module_option(ctx: "FileContext") -> str | None:
    """The configured attention registry module (``factories.attention-module``)."""
    value = ctx.option(ATTENTION_MODULE_OPTION)
    return str(value) if value else None


def is_attention_registry(reg: FactoryRegistry, attention_module: str | None) -> bool:
    """The attention registry: in the configured module, else in a module ending in
    ``attention.factory``."""
    if attention_module:
        return reg.module == attention_module
    return reg.module == "attention.factory" or reg.module.endswith(".attention.factory")


def registries_of_file(ctx: "FileContext") -> list[FactoryRegistry]:
    """Registries defined in the file being linted (empty for non-factory modules)."""
    cached = getattr(ctx, "_dlt_registries", None)
    if cached is None:
        cached = []
        if is_factory_module(ctx.module, attention_module_option(ctx)):
            cached = read_registries(ctx.tree, ctx.sem, ctx.source)
        try:
            setattr(ctx, "_dlt_registries", cached)
        except AttributeError:  # pragma: no cover - a slotted context
            pass
    return cached


def collect(tree: ast.Module, ctx: "FileContext") -> dict[str, Any] | None:
    """Project-index facts of one file: ``{"classes": [attention classes], "registries": [...]}``."""
    regs = registries_of_file(ctx)
    if not regs:
        return None
    attention = attention_module_option(ctx)
    classes: list[str] = []
    for reg in regs:
        if is_attention_registry(reg, attention) and (len(regs) == 1 or reg.kind == "attention"):
            classes.extend(reg.classes())
    return {"classes": classes, "registries": [r.to_facts() for r in regs]}


# --------------------------------------------------------------------------- lookup
def project_registries(ctx: "FileContext") -> list[FactoryRegistry]:
    """Registries of the linted project: the current file read afresh, the others from the
    project index."""
    out = list(registries_of_file(ctx))
    seen = {r.module for r in out} | {ctx.module}
    for summary, facts in ctx.project.extras(COLLECT_KEY):
        if summary.module in seen or not isinstance(facts, dict):
            continue
        for data in facts.get("registries", ()):
            try:
                out.append(FactoryRegistry.from_facts(data))
            except (KeyError, TypeError, IndexError):
                continue
    return out


def framework_registries(ctx: "FileContext") -> list[FactoryRegistry]:
    """Registries the linted code can call into: the project's own, completed by those of the
    installed ``dl_techniques`` (unless ``factories.search-installed = false``)."""
    cached = getattr(ctx, "_dlt_framework_registries", None)
    if cached is not None:
        return cached
    out = project_registries(ctx)
    if ctx.option(INSTALLED_OPTION, True):
        have = {r.module for r in out}
        out.extend(r for r in installed_registries() if r.module not in have)
    try:
        setattr(ctx, "_dlt_framework_registries", out)
    except AttributeError:  # pragma: no cover
        pass
    return out


def attention_registries(ctx: "FileContext") -> list[FactoryRegistry]:
    """The project's attention registry (usually one)."""
    attention = attention_module_option(ctx)
    regs = [r for r in project_registries(ctx) if is_attention_registry(r, attention)]
    preferred = [r for r in regs if r.kind == "attention"]
    return preferred or regs


def find_factory(registries: Iterable[FactoryRegistry], qualname: str | None
                 ) -> tuple[FactoryRegistry, FactoryFunction] | None:
    """The registry and factory function a call's qualified name refers to, if any."""
    for reg in registries:
        func = reg.serves(qualname)
        if func is not None:
            return reg, func
    return None


def registry_of_kind(registries: Iterable[FactoryRegistry], kind: str,
                     package: str = FRAMEWORK_PACKAGE) -> FactoryRegistry | None:
    """The registry of ``kind`` (``"normalization"``) of ``package`` (project or installed)."""
    for reg in registries:
        if reg.kind == kind and (reg.module == package or reg.module.startswith(package + ".")):
            return reg
    return None


# --------------------------------------------------------------------------- installed package
def locate_package(name: str = FRAMEWORK_PACKAGE) -> Path | None:
    """Directory of an installed top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location)
        if path.is_dir():
            return path
    return None


def read_file_registries(path: Path, module: str) -> list[FactoryRegistry]:
    """Registries of one factory file on disk."""
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    return read_registries(tree, Semantic(tree, module, False), source)


@lru_cache(maxsize=4)
def installed_registries(package: str = FRAMEWORK_PACKAGE) -> tuple[FactoryRegistry, ...]:
    """Registries of the installed framework (``<package>/**/factory.py``), cached per process."""
    root = locate_package(package)
    if root is None:
        return ()
    out: list[FactoryRegistry] = []
    for path in sorted(root.rglob("factory.py")):
        rel = path.relative_to(root).with_suffix("")
        if any(not part.isidentifier() for part in rel.parts):
            continue
        module = ".".join((package, *rel.parts))
        out.extend(read_file_registries(path, module))
    return tuple(out)


# --------------------------------------------------------------------------- values
_MISSING = object()


def literal_value(text: str | None) -> Any:
    """The Python value of a literal's source text, or ``_MISSING`` when it is not a literal."""
    if text is None:
        return _MISSING
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _MISSING


def same_default(a: str | None, b: str | None) -> bool | None:
    """True / False when both defaults are literals (compared by value and type family),
    None when that cannot be decided statically."""
    va, vb = literal_value(a), literal_value(b)
    if va is _MISSING or vb is _MISSING:
        if a is not None and b is not None and _normal_text(a) == _normal_text(b):
            return True
        return None
    if isinstance(va, bool) or isinstance(vb, bool):
        return type(va) is type(vb) and va == vb
    return bool(va == vb) and (va is None) == (vb is None)


def _normal_text(text: str) -> str:
    try:
        return ast.dump(ast.parse(text.strip(), mode="eval"))
    except SyntaxError:
        return text.strip()
