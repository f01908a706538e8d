"""Configuration: ``[tool.dlt-lint]`` in ``pyproject.toml`` merged with command-line options."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "__pycache__", ".mypy_cache", ".ruff_cache",
    ".pytest_cache", ".tox", ".nox", ".eggs", "*.egg-info", "build", "dist", "node_modules",
    "site-packages", ".dlt_lint_cache",
)


class ConfigError(ValueError):
    """The configuration file or an option is invalid (exit code 2)."""


def _codes(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"'{key}' must be a list of rule codes or prefixes")
    return [v.strip().upper() for v in value]


@dataclass
class LintConfig:
    """Effective settings for one run."""

    root: Path = field(default_factory=Path.cwd)
    select: list[str] = field(default_factory=lambda: ["DLT"])
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = field(default_factory=list)
    preview: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # the raw [tool.dlt-lint] table
    source: Path | None = None  # the file the settings came from
    _ignored_cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_table(cls, table: dict[str, Any], root: Path, source: Path | None = None) -> "LintConfig":
        cfg = cls(root=root, options=dict(table), source=source)
        if "select" in table:
            cfg.select = _codes(table["select"], "select")
        cfg.extend_select = _codes(table.get("extend-select"), "extend-select")
        cfg.ignore = _codes(table.get("ignore"), "ignore") + _codes(table.get("extend-ignore"), "extend-ignore")
        pfi = table.get("per-file-ignores", {})
        if not isinstance(pfi, dict):
            raise ConfigError("'per-file-ignores' must be a table of glob = [codes]")
        cfg.per_file_ignores = {str(k): _codes(v, f"per-file-ignores.{k}") for k, v in pfi.items()}
        if "exclude" in table:
            cfg.exclude = [str(x) for x in table["exclude"]]
        cfg.extend_exclude = [str(x) for x in table.get("extend-exclude", [])]
        cfg.preview = bool(table.get("preview", False))
        return cfg

    @classmethod
    def load(cls, config_file: Path | None = None, start: Path | None = None) -> "LintConfig":
        """Read ``config_file`` or the nearest ``pyproject.toml`` with ``[tool.dlt-lint]``."""
        if config_file is not None:
            if not config_file.is_file():
                raise ConfigError(f"config file not found: {config_file}")
            table = _read_table(config_file, explicit=True)
            return cls.from_table(table, config_file.resolve().parent, config_file)
        here = (start or Path.cwd()).resolve()
        if here.is_file():
            here = here.parent
        for directory in (here, *here.parents):
            candidate = directory / "pyproject.toml"
            if candidate.is_file():
                table = _read_table(candidate, explicit=False)
                if table is not None:
                    return cls.from_table(table, directory, candidate)
            if (directory / ".git").exists():
                break
        return cls(root=here)

    # ------------------------------------------------------------------ selection
    def is_enabled(self, code: str, preview_rule: bool = False, filename: str | None = None) -> bool:
        if preview_rule and not self.preview:
            return False
        selected = _best_match(code, self.select + self.extend_select)
        ignored = _best_match(code, self.ignore)
        if selected <= ignored:
            return False
        if filename is not None and self.file_ignores(code, filename):
            return False
        return True

    def ignored_for(self, filename: str) -> set[str]:
        """Codes ignored for ``filename`` by ``per-file-ignores`` (codes or prefixes expanded lazily)."""
        if not self.per_file_ignores:
            return set()
        # Resolving the path is the costly part and every rule asks: remember per file.
        key = (filename, id(self.per_file_ignores), len(self.per_file_ignores))
        cached = self._ignored_cache.get(key)
        if cached is not None:
            return set(cached)
        rel = self.relative(filename)
        out: set[str] = set()
        for pattern, codes in self.per_file_ignores.items():
            if _glob_match(rel, pattern):
                out.update(codes)
        self._ignored_cache[key] = frozenset(out)
        return out

    def file_ignores(self, code: str, filename: str) -> bool:
        return any(code.startswith(c) or c == "ALL" for c in self.ignored_for(filename))

    def relative(self, filename: str) -> str:
        p = Path(filename)
        try:
            p = p.resolve().relative_to(self.root.resolve())
        except (ValueError, OSError):
            pass
        return PurePosixPath(*p.parts).as_posix() if p.parts else filename

    def is_excluded(self, path: Path) -> bool:
        rel = self.relative(str(path))
        patterns = self.exclude + self.extend_exclude
        parts = PurePosixPath(rel).parts
        for pattern in patterns:
            if any(fnmatch.fnmatch(part, pattern) for part in parts):
                return True
            if _glob_match(rel, pattern):
                return True
        return False

    def is_excluded_entry(self, name: str, rel: str | None) -> bool:
        """Exclusion test for a file or directory met while walking a tree: its base ``name``
        against every pattern, and its path ``rel`` to the root (None: outside the root)."""
        names, anchored = _split_patterns(tuple(self.exclude + self.extend_exclude))
        if names is not None and names.match(name):  # a name pattern matches at any depth
            return True
        # Path patterns are anchored at the root; ``dir/`` also matches the directory itself.
        return rel is not None and any(_glob_match(rel, p) or rel == p.rstrip("/") for p in anchored)

    # ------------------------------------------------------------------ options
    def option(self, key: str, default: Any = None) -> Any:
        node: Any = self.options
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def fingerprint(self) -> str:
        """Hash of everything that can change lint results (part of the cache key)."""
        data = {"select": self.select, "extend": self.extend_select, "ignore": self.ignore,
                "pfi": self.per_file_ignores, "preview": self.preview, "options": self.options}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _read_table(path: Path, explicit: bool) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if path.name == "pyproject.toml" or "tool" in data:
        table = data.get("tool", {}).get("dlt-lint")
        if table is None:
            return {} if explicit else None
        return table
    return data  # a dedicated dlt-lint.toml: the table is the whole file


@lru_cache(maxsize=32)
def _split_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """Name patterns (no ``/``) as one compiled regex, and the root-anchored path patterns."""
    names, anchored = [], []
    for pattern in patterns:
        bare = pattern.replace("\\", "/").rstrip("/")
        if "/" in bare:
            anchored.append(pattern)
        elif bare:
            names.append(fnmatch.translate(bare))
    return (re.compile("|".join(names)) if names else None), tuple(anchored)


def _best_match(code: str, patterns: Iterable[str]) -> int:
    """Length of the most specific pattern matching ``code`` (0 = none; ALL counts as 1)."""
    best = 0
    for p in patterns:
        if p == "ALL":
            best = max(best, 1)
        elif code.startswith(p):
            best = max(best, len(p) + 1)
    return best


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.replace("\\", "/")
    if fnmatch.fnmatch(rel, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatch(rel, pattern[3:]):
        return True
    if "/" not in pattern and fnmatch.fnmatch(PurePosixPath(rel).name, pattern):
        return True
    if pattern.endswith("/") and rel.startswith(pattern):
        return True
    return rel == pattern or rel.startswith(pattern.rstrip("/") + "/")
