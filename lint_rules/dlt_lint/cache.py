"""The result cache: ``.dlt_lint_cache/`` in the project root.

One entry per source file (named after a hash of its absolute path) holds

* ``content``: the hash of the file's bytes (and ``stat``: the file's size, times and inode
  when they were read, so an unchanged file need not be read again; see
  :meth:`CacheEntry.unchanged`),
* ``context``: a hash of everything else a result depends on inside the file's own scope (tool
  version and source fingerprint, configuration, module name, Python version),
* ``summary``: the phase-1 project-index summary of the file (with the rules' collected facts),
* ``result``: the diagnostics and the *dependency log* of the last lint: every question the
  rules asked the project index (``find_class``, ``is_keras``, ``ancestors``, ``extras``,
  module look-ups) with a fingerprint of the answer. A cached result is reused only when every
  recorded question still gets the same answer from the current project index, so editing a
  method body elsewhere keeps it, while changing a base class's ``__init__`` (which changes
  the base's facts) invalidates the files whose rules looked at that class.

Entries are written atomically (temporary file + ``os.replace``), so concurrent runs never see
half-written data; unreadable or corrupt entries are treated as missing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlt_lint import __version__
from dlt_lint.diagnostics import Diagnostic, Edit, Fix, Position
from dlt_lint.index import ModuleSummary

CACHE_DIR_NAME = ".dlt_lint_cache"
FORMAT = 3

# (question kind, argument) -> fingerprint of the answer
DependencyLog = dict[tuple[str, str], Any]


@dataclass
class LintRecord:
    """A lint result with the project-index questions it depended on."""

    log: DependencyLog
    diagnostics: list[Diagnostic]


# (size, mtime_ns, ctime_ns, inode, wall-clock ns when taken)
StatKey = tuple[int, int, int, int, int]
RACY_NS = 2_000_000_000
RACY_FINE_NS = 100_000_000


def stat_key(path: str) -> StatKey | None:
    """The stat facts that tell whether a file changed since it was read (None: no stat)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, time.time_ns())


# A diagnostic as plain tuples (fast to pickle and load; the file name is the entry's):
# (code, message, row, col, end_row, end_col, fix, url) with
# fix = (applicability, message, ((row, col, end_row, end_col, content), ...)) or None.
Row = tuple


def pack(diagnostics: list[Diagnostic]) -> list[Row]:
    rows = []
    for d in diagnostics:
        fix = None
        if d.fix is not None:
            fix = (d.fix.applicability, d.fix.message,
                   tuple((e.start.row, e.start.column, e.end.row, e.end.column, e.content) for e in d.fix.edits))
        rows.append((d.code, d.message, d.start.row, d.start.column, d.end.row, d.end.column, fix, d.url))
    return rows


def unpack(rows: list[Row], filename: str) -> list[Diagnostic]:
    # The frozen dataclasses' __init__ sets each field through object.__setattr__; a warm run
    # rebuilds thousands of them, so fill the instance dicts directly (same resulting objects).
    out = []
    new = object.__new__
    for code, message, row, col, end_row, end_col, fix, url in rows:
        f = None
        if fix is not None:
            f = Fix(fix[0], fix[1], tuple(Edit(Position(a, b), Position(c, d), text)
                                          for a, b, c, d, text in fix[2]))
        start = new(Position)
        start.__dict__.update(row=row, column=col)
        end = new(Position)
        end.__dict__.update(row=end_row, column=end_col)
        d = new(Diagnostic)
        d.__dict__.update(code=code, message=message, filename=filename, start=start, end=end, fix=f, url=url)
        out.append(d)
    return out


@dataclass
class CacheEntry:
    """Everything cached about one file."""

    content: str
    context: str
    summary: ModuleSummary | None  # None: the file does not parse (``rows`` hold the DLT000)
    log: DependencyLog | None = None  # None: no lint result stored
    rows: list[Row] | None = None
    stat: StatKey | None = None  # the file's stat when ``content`` was read (see ``unchanged``)

    @classmethod
    def make(cls, content: str, context: str, summary: ModuleSummary | None,
             record: LintRecord | None, stat: StatKey | None = None) -> "CacheEntry":
        if record is None:
            return cls(content, context, summary, stat=stat)
        return cls(content, context, summary, record.log, pack(record.diagnostics), stat)

    def unchanged(self, key: StatKey | None) -> bool:
        """The file still has the content this entry describes, judged from its stat alone.

        Size, modification and change time (which no tool can set back) and inode must match,
        and the file must have been older than the racy window when it was read (see
        :meth:`trusted`): an edit in the same clock tick as that read would leave the times
        equal, so a file that was that fresh is read and hashed again."""
        return key is not None and self.stat is not None and key[:4] == self.stat[:4] and self.trusted(self.stat)

    @staticmethod
    def trusted(key: StatKey | None) -> bool:
        """The file was older than the racy window when ``key`` was taken: :data:`RACY_NS` on
        file systems with whole-second times, :data:`RACY_FINE_NS` on those with finer ones
        (their times move with the kernel's clock tick, a few milliseconds)."""
        if key is None:
            return False
        window = RACY_NS if key[1] % 1_000_000_000 == 0 and key[2] % 1_000_000_000 == 0 else RACY_FINE_NS
        return key[1] < key[4] - window and key[2] < key[4] - window

    def record(self, filename: str) -> LintRecord | None:
        if self.log is None or self.rows is None:
            return None
        return LintRecord(self.log, unpack(self.rows, filename))


def _hash(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def tool_fingerprint() -> str:
    """Version of dlt-lint plus the size and modification time of every module of the
    package, so a development edit to a rule invalidates cached results."""
    pinned = os.environ.get("DLT_LINT_TOOL_FINGERPRINT")
    if pinned:  # tests and benchmarks pin it while rule modules are being edited
        return _hash(__version__, FORMAT, sys.version_info[:2], pinned)
    root = Path(__file__).resolve().parent
    stats = []
    for directory in (root, root / "rules"):
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if name.endswith(".py"):
                try:
                    st = os.stat(directory / name)
                except OSError:
                    continue
                stats.append((directory.name, name, st.st_size, st.st_mtime_ns))
    return _hash(__version__, FORMAT, sys.version_info[:2], stats)


class Cache:
    """Per-file cache entries under ``<root>/.dlt_lint_cache``."""

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = Path(root)
        self.base = self.root / CACHE_DIR_NAME
        self.dir = self.base / f"v{FORMAT}"
        self._dir = str(self.dir)
        self.enabled = enabled
        self.loaded = 0
        self.written = 0
        self.errors = 0
        self._made: set[str] = set()

    def _entry_path(self, path: str) -> str:
        key = hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
        return f"{self._dir}/{key[:2]}/{key[2:]}.pkl"

    def load(self, path: str) -> CacheEntry | None:
        """The entry of file ``path`` or None (missing, unreadable or corrupt)."""
        if not self.enabled:
            return None
        try:
            with open(self._entry_path(path), "rb") as fh:
                entry = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception:  # corrupt, truncated, from an incompatible version...
            self.errors += 1
            return None
        if not isinstance(entry, CacheEntry):
            self.errors += 1
            return None
        self.loaded += 1
        return entry

    def store(self, path: str, entry: CacheEntry) -> None:
        """Write the entry of ``path`` atomically; failures are ignored (the cache is optional)."""
        if not self.enabled:
            return
        target = self._entry_path(path)
        directory = os.path.dirname(target)
        try:
            if directory not in self._made:
                self._prepare()
                os.makedirs(directory, exist_ok=True)
                self._made.add(directory)
            data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pkl")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            self.written += 1
        except Exception:
            self.errors += 1

    def _prepare(self) -> None:
        if self.base.is_dir():
            return
        self.base.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", "# Created by dlt-lint automatically.\n*\n"),
                           ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                            "# This directory is a dlt-lint cache.\n")):
            try:
                (self.base / name).write_text(text)
            except OSError:
                pass


def entry_context(tool: str, config_fp: str, module: str, is_package: bool, env: str) -> str:
    """The ``context`` part of an entry's key."""
    return _hash(tool, config_fp, module, is_package, env)
