"""Finding the files of a run: the Python files to lint and the package files to index.

Paths named on the command line are walked for ``*.py`` files; exclusion patterns apply to
what the walk finds below a named path (a file or directory named explicitly is linted even
when a pattern matches it, unless ``force_exclude``). So that a base class imported from a
sibling module is recognised even when only one file is linted (a pre-commit run), the files
of the top-level package enclosing each linted file are indexed too (summarised, not
reported).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dlt_lint.config import LintConfig
from dlt_lint.index import module_name_for

PYTHON_SUFFIXES = (".py",)


@dataclass(frozen=True)
class SourceFile:
    """One file of a run."""

    display: str  # the name shown in output: as reached from the command-line argument
    path: str  # absolute, normalised (symlinks not resolved)
    module: str  # dotted module name
    is_package: bool
    lint: bool = True  # False: only indexed (a sibling of a linted file)


@dataclass
class Discovery:
    """What a run works on."""

    files: list[SourceFile] = field(default_factory=list)  # to lint, in output order
    index_only: list[SourceFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # arguments that do not exist

    @property
    def all_files(self) -> list[SourceFile]:
        return self.files + self.index_only


def _relative(path: str, root: str) -> str | None:
    if path == root:
        return ""
    if path.startswith(root.rstrip(os.sep) + os.sep):
        return path[len(root.rstrip(os.sep)) + 1:].replace(os.sep, "/")
    return None


def _walk(directory: str, display: str, config: LintConfig, root: str,
          out: list[tuple[str, str]]) -> None:
    """Append (absolute path, display name) of every Python file below ``directory``."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    sep = "" if directory.endswith(os.sep) else os.sep
    prefix = "" if display in ("", ".") else (display if display.endswith(os.sep) else display + os.sep)
    for entry in entries:
        abs_path = directory + sep + entry.name
        shown = prefix + entry.name
        if config.is_excluded_entry(entry.name, _relative(abs_path, root)):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            _walk(abs_path, shown, config, root, out)
        elif entry.name.endswith(PYTHON_SUFFIXES):
            # Broken symlinks and unreadable files are kept: they get a DLT000 each.
            out.append((abs_path, shown))


def _package_root(directory: str, memo: dict[str, str | None]) -> str | None:
    """The outermost package directory at or above ``directory`` (None: not a package)."""
    if directory in memo:
        return memo[directory]
    top = None
    if os.path.isfile(os.path.join(directory, "__init__.py")):
        parent = os.path.dirname(directory)
        top = (_package_root(parent, memo) if parent != directory else None) or directory
    memo[directory] = top
    return top


def discover(paths: list[str], config: LintConfig, force_exclude: bool = False,
             index_packages: bool = True) -> Discovery:
    """Files named by ``paths`` (files or directories), in a stable order."""
    result = Discovery()
    root = os.path.abspath(str(config.root))
    found: list[tuple[str, str]] = []
    walked_dirs: list[str] = []
    for arg in paths:
        abs_arg = os.path.abspath(arg)
        if not os.path.lexists(abs_arg):
            result.missing.append(arg)
            continue
        if os.path.isdir(abs_arg):
            walked_dirs.append(abs_arg)
            _walk(abs_arg, os.path.normpath(arg) if arg not in ("", ".") else "", config, root, found)
        else:
            if force_exclude and config.is_excluded(Path(abs_arg)):
                continue
            found.append((abs_arg, arg))
    memo: dict[str, str] = {}
    seen: set[str] = set()
    for abs_path, shown in found:
        if abs_path in seen:
            continue
        seen.add(abs_path)
        module, is_package = module_name_for(Path(abs_path), memo)
        result.files.append(SourceFile(shown, abs_path, module, is_package))
    if index_packages:
        _add_package_siblings(result, config, root, walked_dirs, seen, memo)
    return result


def _add_package_siblings(result: Discovery, config: LintConfig, root: str, walked: list[str],
                          seen: set[str], memo: dict[str, str]) -> None:
    packages: set[str] = set()
    roots: dict[str, str | None] = {}
    for f in result.files:
        top = _package_root(os.path.dirname(f.path), roots)
        if top is None or top in packages:
            continue
        # A package already walked in full (a named directory at or above it) adds nothing.
        if any(top == d or top.startswith(d.rstrip(os.sep) + os.sep) for d in walked):
            continue
        packages.add(top)
    for top in sorted(packages):
        extra: list[tuple[str, str]] = []
        _walk(top, top, config, root, extra)
        for abs_path, shown in extra:
            if abs_path in seen:
                continue
            seen.add(abs_path)
            module, is_package = module_name_for(Path(abs_path), memo)
            result.index_only.append(SourceFile(shown, abs_path, module, is_package, lint=False))
