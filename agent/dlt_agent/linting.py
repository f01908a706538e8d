"""Running dlt-lint on staged (not yet written) files through the linter's Python API.

The generated files are linted with every rule (preview ones included) and safe fixes
applied; whatever remains is a failure. Files the agent only edits (factory, package
``__init__``) must not get NEW findings: their diagnostics before and after the edit are
compared, so existing findings in a user's checkout do not block the generator.

Cross-file rules see a project index built from the staged package (the new module and the
edited factory included), like the engine builds it from disk.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Diagnostic
from dlt_lint.index import ModuleSummary, ProjectIndex
from dlt_lint.linter import ParsedFile, fix_source, lint_source, parse_source
from dlt_lint.rule import all_rules

__all__ = ["FileLint", "LintOutcome", "lint_config_for", "lint_staged", "module_name_in_tree"]

_log = logging.getLogger("dlt_agent.lint")


@dataclass
class FileLint:
    """Lint result of one staged file."""

    path: Path
    source: str  # after safe fixes (generated files) or unchanged (edited files)
    fixed: int = 0
    remaining: list[Diagnostic] = field(default_factory=list)
    error: str | None = None


@dataclass
class LintOutcome:
    """All lint results of one generation."""

    files: list[FileLint]

    @property
    def ok(self) -> bool:
        return all(not f.remaining and f.error is None for f in self.files)

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)

    def problems(self) -> list[str]:
        """One line per remaining finding."""
        out = []
        for f in self.files:
            if f.error:
                out.append(f"{f.path}: {f.error}")
            for d in f.remaining:
                out.append(f"{f.path}:{d.start.row}:{d.start.column + 1}: {d.code} {d.message}")
        return out


def lint_config_for(start: Path) -> LintConfig:
    """The project's ``[tool.dlt-lint]`` settings with every rule (preview too) selected.

    Per-file ignores of the project are kept: they record deliberate exceptions (e.g. the
    norms package may construct Keras normalization layers).
    """
    config = LintConfig.load(start=start)
    config.select = ["DLT"]
    config.extend_select = []
    config.ignore = []
    config.preview = True
    return config


def module_name_in_tree(path: Path, files: Mapping[Path, str] | None = None) -> tuple[str, bool]:
    """Dotted module name of ``path`` from the packages above it (staged ``__init__`` count)."""
    files = files or {}
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    parent = path.parent
    while (parent / "__init__.py").is_file() or (parent / "__init__.py") in files:
        parts.append(parent.name)
        if parent.parent == parent:
            break
        parent = parent.parent
    return ".".join(reversed(parts)), is_package


def _parse(text: str, path: Path, files: Mapping[Path, str], config: LintConfig) -> tuple[ParsedFile, str, bool] | None:
    module, is_package = module_name_in_tree(path, files)
    try:
        parsed = parse_source(text, str(path), module, is_package)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    rules = [r for r in all_rules().values() if getattr(r, "collect_key", None)]
    if rules:
        ctx = FileContext(parsed.source, parsed.tree, str(path), parsed.sem, ProjectIndex([parsed.summary]), config)
        for rule in rules:
            try:
                facts = rule.collect(parsed.tree, ctx)
            except Exception:  # noqa: BLE001 - a rule's bug must not stop the agent
                _log.debug("collect hook of %s failed on %s", rule.code, path, exc_info=True)
                continue
            if facts is not None:
                parsed.summary.extras[rule.collect_key] = facts
    return parsed, module, is_package


def _project(package_dirs: Iterable[Path], files: Mapping[Path, str], config: LintConfig,
             exclude: Iterable[Path] = ()) -> ProjectIndex:
    """Index of the ``*.py`` files below ``package_dirs`` with staged texts taking priority."""
    excluded = {p.resolve() for p in exclude}
    summaries: dict[Path, ModuleSummary] = {}
    seen: set[Path] = set()
    for root in package_dirs:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
            for name in filenames:
                if name.endswith(".py"):
                    seen.add((Path(dirpath) / name).resolve())
    seen |= {p.resolve() for p in files}
    for path in sorted(seen - excluded):
        text = files.get(path)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
        parsed = _parse(text, path, files, config)
        if parsed is not None:
            summaries[path] = parsed[0].summary
    extra = config.option("extra-keras-bases", []) or []
    return ProjectIndex(summaries.values(), extra_bases=extra)


def lint_staged(generated: Mapping[Path, str], edited: Mapping[Path, tuple[str, str]],
                package_dirs: Iterable[Path], config: LintConfig) -> LintOutcome:
    """Lint and safe-fix ``generated`` files; check ``edited`` files for new findings.

    :param generated: new files, absolute path -> text.
    :param edited: edited files, absolute path -> (text before, text after).
    :param package_dirs: directories whose modules form the project index.
    :param config: lint settings (see :func:`lint_config_for`).
    :return: per-file results; ``generated`` texts come back with the fixes applied.
    """
    package_dirs = list(package_dirs)
    staged = {p.resolve(): t for p, t in generated.items()}
    staged.update({p.resolve(): after for p, (_before, after) in edited.items()})
    project_after = _project(package_dirs, staged, config)
    results: list[FileLint] = []
    for path, text in generated.items():
        path = path.resolve()
        module, is_package = module_name_in_tree(path, staged)
        name = _display(path, config)
        res = fix_source(text, name, config, project_after, module, is_package, unsafe=False)
        results.append(FileLint(path, res.source, res.fixed, list(res.remaining), res.error))
        staged[path] = res.source
    if edited:
        before_files = {p.resolve(): before for p, (before, _after) in edited.items()}
        project_before = _project(package_dirs, before_files, config, exclude=generated.keys())
        for path, (before, after) in edited.items():
            path = path.resolve()
            module, is_package = module_name_in_tree(path, staged)
            name = _display(path, config)
            old = lint_source(before, name, config, project_before, module, is_package)
            new = lint_source(after, name, config, project_after, module, is_package)
            known = {(d.code, d.message) for d in old}
            fresh = [d for d in new if (d.code, d.message) not in known]
            results.append(FileLint(path, after, 0, fresh))
    return LintOutcome(results)


def _display(path: Path, config: LintConfig) -> str:
    """The file name the linter sees: relative to the config root when possible (per-file
    ignores are globs relative to it)."""
    try:
        return str(path.relative_to(config.root.resolve()))
    except ValueError:
        return str(path)
