"""The project index: which classes exist in which module, what they inherit from, and the
few facts about them that rules need across files.

Each file is summarised on its own (cacheable by content); :class:`ProjectIndex` then answers
cross-file questions such as "is ``BaseAttention``, imported from a sibling module, a Keras
class?" by following imports and re-exports through the summaries.
"""

from __future__ import annotations

import ast
import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from dlt_lint import keras_facts as kf
from dlt_lint.semantic import Semantic, canonical, is_keras_base


@dataclass
class ClassInfo:
    """Facts about one class, by qualified name."""

    name: str
    qualname: str
    lineno: int
    bases: list[str | None]
    params: list[kf.Param] | None  # None: the class defines no __init__
    config: kf.ConfigFacts | None  # None: the class defines no get_config
    abstract: bool
    registered: bool

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if state["params"] is not None:
            state["params"] = [kf.Param(p.name, p.kind, p.default) for p in state["params"]]
        return state


@dataclass
class ModuleSummary:
    """Everything the project index needs from one file."""

    module: str
    path: str
    is_package: bool
    imports: dict[str, str]
    classes: dict[str, ClassInfo]
    # Facts contributed by rules with a ``collect`` hook (e.g. factory registries), by code.
    extras: dict[str, Any] = field(default_factory=dict)


def module_name_for(path: Path, memo: dict[str, str] | None = None) -> tuple[str, bool]:
    """Dotted module name of ``path`` from the chain of packages (``__init__.py``) above it.

    ``framework/dl_techniques/layers/attention/x.py`` -> ``dl_techniques.layers.attention.x``.
    ``memo`` (directory -> package name) lets a caller naming many files of one tree check each
    directory once.
    """
    path = path.resolve() if not path.is_absolute() else path
    is_package = path.name == "__init__.py"
    package = _package_of(str(path.parent), {} if memo is None else memo)
    if is_package:
        return package, True
    return (f"{package}.{path.stem}" if package else path.stem), False


def _package_of(directory: str, memo: dict[str, str]) -> str:
    """Dotted package name of ``directory`` ("" when it holds no ``__init__.py``)."""
    if directory in memo:
        return memo[directory]
    if not os.path.isfile(os.path.join(directory, "__init__.py")):
        result = ""
    else:
        parent = os.path.dirname(directory)
        name = os.path.basename(directory)
        above = "" if parent == directory else _package_of(parent, memo)
        result = f"{above}.{name}" if above else name
    memo[directory] = result
    return result


def summarize(tree: ast.Module, sem: Semantic, source: str, path: str = "",
              is_package: bool = False) -> ModuleSummary:
    """Summarise one parsed module (top-level classes only)."""
    classes: dict[str, ClassInfo] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            init = kf.find_method(node, "__init__")
            get_config = kf.find_method(node, "get_config")
            classes[node.name] = ClassInfo(
                name=node.name,
                qualname=sem.qualify_local(node.name),
                lineno=node.lineno,
                bases=[sem.resolve(b) for b in node.bases],
                params=kf.init_params(init, source) if init else None,
                config=kf.config_facts(get_config) if get_config else None,
                abstract=kf.is_abstract(node, sem),
                registered=kf.is_registered(node, sem),
            )
    top_imports = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for local in _bound_names(node):
                if local in sem.imports.names:
                    top_imports[local] = sem.imports.names[local]
    return ModuleSummary(sem.module, path, is_package, top_imports, classes)


def _bound_names(node: ast.Import | ast.ImportFrom) -> Iterable[str]:
    for alias in node.names:
        if alias.name == "*":
            continue
        if isinstance(node, ast.Import) and not alias.asname:
            yield alias.name.split(".")[0]
        else:
            yield alias.asname or alias.name


class ProjectIndex:
    """Cross-file view over module summaries."""

    def __init__(self, summaries: Iterable[ModuleSummary] = (),
                 extra_bases: Iterable[str] = ()) -> None:
        self.modules: dict[str, ModuleSummary] = {}
        for s in summaries:
            self.add(s)
        self.extra_bases = {canonical(b) for b in extra_bases}
        self._keras_memo: dict[str, bool] = {}

    def add(self, summary: ModuleSummary) -> None:
        if summary.module:
            self.modules[summary.module] = summary
        self._keras_memo = {}

    def with_module(self, summary: ModuleSummary, extra_bases: Iterable[str] = ()) -> "ProjectIndex":
        """A copy (of the same class) in which ``summary`` replaces the module of its name; the
        original is not changed."""
        clone = copy.copy(self)
        clone.modules = dict(self.modules)
        clone.extra_bases = self.extra_bases | {canonical(b) for b in extra_bases}
        clone._keras_memo = {}
        clone.add(summary)
        return clone

    def find_class(self, qualname: str | None, _seen: frozenset[str] = frozenset()) -> ClassInfo | None:
        """The class ``qualname`` names, following re-exports between project modules."""
        if not qualname or qualname in _seen:
            return None
        module, _, name = qualname.rpartition(".")
        summary = self.modules.get(module)
        if summary is None:
            return None
        if name in summary.classes:
            return summary.classes[name]
        target = summary.imports.get(name)
        if target:
            return self.find_class(canonical(target), _seen | {qualname})
        return None

    def is_keras(self, qualname: str | None) -> bool:
        """True when ``qualname`` is a Keras base or a project class deriving from one."""
        if not qualname:
            return False
        if is_keras_base(qualname) or qualname in self.extra_bases:
            return True
        if qualname in self._keras_memo:
            return self._keras_memo[qualname]
        self._keras_memo[qualname] = False  # cycle guard
        info = self.find_class(qualname)
        result = False
        if info is not None:
            result = info.qualname in self.extra_bases or any(self.is_keras(b) for b in info.bases)
        self._keras_memo[qualname] = result
        return result

    def ancestors(self, qualname: str | None) -> list[ClassInfo]:
        """Project classes reached through the bases of ``qualname`` (nearest first)."""
        out: list[ClassInfo] = []
        seen: set[str] = set()
        queue = [qualname]
        while queue:
            q = queue.pop(0)
            info = self.find_class(q)
            if info is None or info.qualname in seen:
                continue
            seen.add(info.qualname)
            out.append(info)
            queue.extend(b for b in info.bases if b)
        return out

    def extras(self, code: str) -> list[tuple[ModuleSummary, Any]]:
        """Facts that rule ``code`` collected, per module."""
        return [(s, s.extras[code]) for s in self.modules.values() if code in s.extras]

    def extras_having(self, code: str, field: str, value: Any) -> list[str]:
        """Modules whose ``code`` facts (a dict) list ``value`` under ``field``: a narrow
        question, so a cached answer survives changes to every other fact."""
        return sorted(s.module for s, facts in self.extras(code)
                      if isinstance(facts, dict) and value in facts.get(field, ()))
