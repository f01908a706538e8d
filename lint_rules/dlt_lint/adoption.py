"""Adopting the linter on an existing code base: ``--add-noqa``, ``--baseline`` and
``--changed-since``.

All three work on the diagnostics of an ordinary run, so they share its cache, configuration
and cross-file knowledge.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable

from dlt_lint.context import detect_newline, split_lines
from dlt_lint.diagnostics import Diagnostic
from dlt_lint.linter import PARSE_ERROR, noqa_codes

BASELINE_VERSION = 1
_NOQA_LIST = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,?\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)


class AdoptionError(ValueError):
    """A baseline file or git reference that cannot be used (exit code 2)."""


# --------------------------------------------------------------------------- --add-noqa
def add_noqa(source: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """Add ``# noqa: CODE`` to each reported line (merged into an existing list).

    A line whose end lies inside a string or after a line continuation gets no comment: the
    result must have the same syntax tree as the input. Returns the new text and the number
    of lines changed.
    """
    wanted: dict[int, set[str]] = defaultdict(set)
    for d in diagnostics:
        if d.code != PARSE_ERROR:
            wanted[d.start.row].add(d.code)
    if not wanted:
        return source, 0
    newline = detect_newline(source)
    lines = split_lines(source)
    reference = _tree(source)
    if reference is None:
        return source, 0
    changed = 0
    for row in sorted(wanted):
        if not 0 < row <= len(lines):
            continue
        line = lines[row - 1]
        existing = noqa_codes(line)
        if existing is not None and not existing:
            continue  # a bare noqa already silences the line
        missing = sorted(wanted[row] - (existing or set()))
        if not missing:
            continue
        match = _NOQA_LIST.search(line) if existing else None
        if match is not None:
            codes = match.group("codes").rstrip()
            end = match.start("codes") + len(codes)
            candidate = line[:end] + ", " + ", ".join(missing) + line[end:]
        else:
            candidate = line.rstrip() + "  # noqa: " + ", ".join(missing)
        trial = lines[: row - 1] + [candidate] + lines[row:]
        if _tree(newline.join(trial)) != reference:
            continue
        lines = trial
        changed += 1
    return newline.join(lines), changed


def _tree(source: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# --------------------------------------------------------------------------- --baseline
@dataclass(frozen=True)
class _Key:
    file: str
    code: str
    message: str
    line: str  # the reported line's text, stripped: survives lines moving up or down


def _key(d: Diagnostic, relpath: str, lines: list[str] | None) -> _Key:
    text = lines[d.start.row - 1].strip() if lines and 0 < d.start.row <= len(lines) else ""
    return _Key(relpath, d.code, d.message, text)


class Baseline:
    """Violations recorded at adoption time; later runs report only what is new.

    Entries are keyed by file (relative to the project root), code, message and the text of
    the reported line, with a count: inserting or deleting lines elsewhere does not make an
    old finding new, while a second copy of the same finding is reported.
    """

    def __init__(self, counts: Counter[_Key] | None = None) -> None:
        self.counts: Counter[_Key] = counts or Counter()

    @classmethod
    def load(cls, path: str) -> "Baseline":
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("version") != BASELINE_VERSION:
                raise AdoptionError(f"baseline {path}: unsupported version {data.get('version')!r}")
            counts: Counter[_Key] = Counter()
            for entry in data["violations"]:
                counts[_Key(entry["file"], entry["code"], entry["message"], entry["line"])] += int(entry["count"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise AdoptionError(f"cannot read baseline {path}: {exc}") from None
        return cls(counts)

    @classmethod
    def record(cls, diagnostics: Iterable[tuple[Diagnostic, str, list[str] | None]]) -> "Baseline":
        return cls(Counter(_key(d, rel, lines) for d, rel, lines in diagnostics))

    def save(self, path: str) -> None:
        entries = [{"file": k.file, "code": k.code, "message": k.message, "line": k.line, "count": n}
                   for k, n in sorted(self.counts.items(), key=lambda kv: (kv[0].file, kv[0].code, kv[0].line))]
        data = json.dumps({"version": BASELINE_VERSION, "tool": "dlt-lint", "violations": entries},
                          indent=1, ensure_ascii=False) + "\n"
        from dlt_lint.files import write_atomic

        write_atomic(path, data.encode("utf-8"))

    def filter_new(self, diagnostics: Iterable[tuple[Diagnostic, str, list[str] | None]]) -> list[Diagnostic]:
        """The diagnostics not covered by the baseline (each recorded entry covers ``count``)."""
        left = Counter(self.counts)
        out = []
        for d, rel, lines in diagnostics:
            key = _key(d, rel, lines)
            if left[key] > 0:
                left[key] -= 1
            else:
                out.append(d)
        return out

    def __len__(self) -> int:
        return sum(self.counts.values())


# --------------------------------------------------------------------------- --changed-since
def changed_lines(ref: str, cwd: str) -> dict[str, set[int] | None]:
    """Absolute path -> changed line numbers since ``ref`` (None: the whole file is new).

    Covers committed and uncommitted changes and untracked files.
    """
    top = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    if _run_git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd).returncode != 0:
        raise AdoptionError(f"--changed-since: unknown git reference {ref!r}")
    diff = _git(["diff", "--unified=0", "--no-color", "--no-ext-diff", ref, "--", "*.py"], top)
    out: dict[str, set[int] | None] = {}
    current: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else os.path.join(top, name[2:] if name.startswith("b/") else name)
            if current is not None:
                out.setdefault(current, set())
        elif line.startswith("@@") and current is not None:
            m = re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
                rows = out[current]
                assert rows is not None
                rows.update(range(start, start + count))
    for name in _git(["ls-files", "--others", "--exclude-standard", "--", "*.py"], top).splitlines():
        out[os.path.join(top, name)] = None
    return out


def touches_changes(d: Diagnostic, rows: set[int] | None) -> bool:
    if rows is None:
        return True
    return any(r in rows for r in range(d.start.row, max(d.end.row, d.start.row) + 1))


def _run_git(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AdoptionError(f"--changed-since: cannot run git: {exc}") from None


def _git(args: list[str], cwd: str) -> str:
    proc = _run_git(args, cwd)
    if proc.returncode != 0:
        message = (proc.stderr.strip().splitlines() or ["git failed"])[0]
        raise AdoptionError(f"--changed-since: {message}")
    return proc.stdout
