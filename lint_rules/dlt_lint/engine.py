"""The lint engine: a two-phase project run over many files, in parallel, with a cache.

Phase 1 summarises every file (classes, bases, imports and the rules' ``collect`` facts) into
a :class:`~dlt_lint.index.ModuleSummary`. Phase 2 lints each file against the
:class:`~dlt_lint.index.ProjectIndex` of all summaries, so a base class imported from a
sibling module is recognised.

Parsing is the expensive step, so the engine avoids repeating it:

* phase 1 also lints a file *speculatively* against an index holding only that file, while
  recording every question the rules ask the index (see :class:`TrackingIndex`). Once all
  summaries are known, the recorded questions are asked again of the full index; when every
  answer is the same, the speculative result is the real one and the file is not parsed again;
* the cache (:mod:`dlt_lint.cache`) keeps each file's summary and its last result with the
  same question log, so a warm run parses nothing and an edit re-lints only the edited file
  and the files whose recorded answers changed.

Files are processed by a pool of worker processes sized to the machine (no pool for a handful
of files); the full index is handed to each phase-2 worker once, through the pool initializer.
"""

from __future__ import annotations

import ast
import difflib
import gc
import hashlib
import importlib.util
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Callable, Iterable, Iterator

from dlt_lint.cache import (
    Cache,
    CacheEntry,
    DependencyLog,
    LintRecord,
    StatKey,
    entry_context,
    stat_key,
    tool_fingerprint,
)
from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Diagnostic, Position
from dlt_lint.discovery import SourceFile
from dlt_lint.files import SourceError, content_hash, decode, encode, read_bytes
from dlt_lint.index import ClassInfo, ModuleSummary, ProjectIndex
from dlt_lint.linter import PARSE_ERROR, ParsedFile, fix_source, lint_source, parse_error, parse_source
from dlt_lint.rule import Rule, all_rules, external_rule_codes
from dlt_lint.semantic import canonical, is_keras_base

# Below this many files to process, a pool costs more than it saves.
POOL_THRESHOLD = 16
# Cache entries rewritten per run only to record a file's settled stat (bounds the cost of
# the first run after a checkout; the rest follow in later runs).
MAX_STAT_REFRESH = 64


# =========================================================================== fingerprints
def canon(obj: Any) -> Any:
    """A deterministic, hashable rendering of index facts (line numbers and ``ast`` nodes
    that only locate things are left out, so moving code does not change facts)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, dict):
        return ("{", tuple(sorted(((canon(k), canon(v)) for k, v in obj.items()), key=repr)))
    if isinstance(obj, (list, tuple)):
        return tuple(canon(x) for x in obj)
    if isinstance(obj, (set, frozenset)):
        return ("set", tuple(sorted((canon(x) for x in obj), key=repr)))
    if isinstance(obj, ast.AST):
        return ("ast", ast.dump(obj))
    if is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj).__name__, tuple(
            (f.name, canon(getattr(obj, f.name))) for f in fields(obj)
            if f.compare and f.name not in ("lineno", "node", "path")))
    return repr(obj)


def fingerprint(obj: Any) -> str:
    return hashlib.blake2b(repr(canon(obj)).encode(), digest_size=10).hexdigest()


_FP = "_dlt_fp"


_XFP = "_dlt_xfp"


def stamp(summary: ModuleSummary) -> str:
    """Fingerprint ``summary``, each of its classes and each of its collected facts, storing
    them on the objects (they travel with the summary into the cache)."""
    class_fps = []
    for name, info in sorted(summary.classes.items()):
        fp = info.__dict__[_FP] = fingerprint(info)
        class_fps.append((name, fp))
    extras = summary.__dict__[_XFP] = {key: fingerprint(facts) for key, facts in summary.extras.items()}
    fp = summary.__dict__[_FP] = fingerprint(
        (summary.module, summary.is_package, summary.imports, class_fps, sorted(extras.items())))
    return fp


def extras_fp(summary: ModuleSummary, key: str) -> str:
    """Fingerprint of the facts collected under ``key`` for ``summary`` (stamped or computed)."""
    fps = summary.__dict__.setdefault(_XFP, {})
    fp = fps.get(key)
    if fp is None:
        fp = fps[key] = fingerprint(summary.extras.get(key))
    return fp


class _TrackedModules(dict):
    """``ProjectIndex.modules`` that tells its index when a rule reads it directly."""

    owner: "TrackingIndex"

    def _one(self, key: Any) -> None:
        owner = self.owner
        # The file's own module is described by its own text, which is part of the cache key.
        if owner.log is not None and not owner._depth and key != owner.own:
            owner.log[("module", key)] = owner.summary_fp(dict.get(self, key))

    def _all(self) -> None:
        owner = self.owner
        if owner.log is not None and not owner._depth:
            owner.log[("modules", "*")] = owner.all_fp()

    def get(self, key: Any, default: Any = None) -> Any:
        self._one(key)
        return dict.get(self, key, default)

    def __getitem__(self, key: Any) -> Any:
        self._one(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key: Any) -> bool:
        self._one(key)
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return dict.__iter__(self)

    def keys(self):  # type: ignore[override]
        self._all()
        return dict.keys(self)

    def values(self):  # type: ignore[override]
        self._all()
        return dict.values(self)

    def items(self):  # type: ignore[override]
        self._all()
        return dict.items(self)

    def __len__(self) -> int:
        self._all()
        return dict.__len__(self)

    def __reduce__(self):  # plain dict when pickled; the owner re-wraps it
        return (dict, (dict(dict.items(self)),))


class TrackingIndex(ProjectIndex):
    """A :class:`ProjectIndex` that can record the questions asked of it.

    While ``log`` is a dict, every top-level ``find_class`` / ``is_keras`` / ``ancestors`` /
    ``extras`` call and every direct read of ``modules`` is recorded with a fingerprint of its
    answer. :meth:`answer` recomputes such a fingerprint, which is how recorded results are
    validated against another index.
    """

    def __init__(self, summaries: Iterable[ModuleSummary] = (), extra_bases: Iterable[str] = ()) -> None:
        super().__init__((), extra_bases)
        self.log: DependencyLog | None = None
        self.own: str | None = None  # module of the file being recorded
        self._depth = 0
        self._all_fp: str | None = None
        self._answers: dict[tuple[str, str], Any] = {}
        self._wrap({})
        for s in summaries:
            self.add(s)

    def _wrap(self, items: dict) -> None:
        mods = _TrackedModules(items)
        mods.owner = self
        self.modules = mods

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._wrap(dict(dict.items(state["modules"])))

    def add(self, summary: ModuleSummary) -> None:
        super().add(summary)
        self._all_fp = None
        self._answers = {}

    def with_module(self, summary: ModuleSummary, extra_bases: Iterable[str] = ()) -> "TrackingIndex":
        # Not ProjectIndex.with_module: copying ``modules`` through its public methods would be
        # recorded as a question about every module. The log is shared with the copy.
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._wrap(dict(dict.items(self.modules)))
        clone.extra_bases = self.extra_bases | {canonical(b) for b in extra_bases}
        clone._keras_memo = {}
        clone._depth = 0
        clone.add(summary)
        return clone

    # ------------------------------------------------------------ fingerprints of answers
    # Fingerprints are stamped on the objects when a file is summarised (in a worker, and kept
    # in the cache); objects from elsewhere are fingerprinted on demand.
    @staticmethod
    def class_fp(info: ClassInfo | None) -> str | None:
        if info is None:
            return None
        fp = info.__dict__.get(_FP)
        if fp is None:
            fp = info.__dict__[_FP] = fingerprint(info)
        return fp

    @staticmethod
    def summary_fp(summary: ModuleSummary | None) -> str | None:
        if summary is None:
            return None
        fp = summary.__dict__.get(_FP)
        if fp is None:
            fp = summary.__dict__[_FP] = stamp(summary)
        return fp

    def all_fp(self) -> str:
        if self._all_fp is None:
            items = sorted(dict.items(self.modules))
            self._all_fp = fingerprint([(name, self.summary_fp(s)) for name, s in items])
        return self._all_fp

    def _record(self, kind: str, key: Any, compute: Callable[[], Any], render: Callable[[Any], Any]) -> Any:
        if self.log is None or self._depth:
            return compute()
        self._depth += 1
        try:
            value = compute()
        finally:
            self._depth -= 1
        self.log[(kind, key)] = render(value)
        return value

    # ------------------------------------------------------------ recorded questions
    def find_class(self, qualname: str | None, _seen: frozenset[str] = frozenset()) -> ClassInfo | None:
        if self.log is None or self._depth:
            return super().find_class(qualname, _seen)
        return self._record("find_class", qualname, lambda: super(TrackingIndex, self).find_class(qualname, _seen),
                            self.class_fp)

    def is_keras(self, qualname: str | None) -> bool:
        if self.log is None or self._depth:
            return super().is_keras(qualname)
        return self._record("is_keras", qualname, lambda: super(TrackingIndex, self).is_keras(qualname), bool)

    def ancestors(self, qualname: str | None) -> list[ClassInfo]:
        if self.log is None or self._depth:
            return super().ancestors(qualname)
        return self._record("ancestors", qualname, lambda: super(TrackingIndex, self).ancestors(qualname),
                            lambda infos: tuple(self.class_fp(i) for i in infos))

    def extras(self, code: str) -> list[tuple[ModuleSummary, Any]]:
        if self.log is None or self._depth:
            return super().extras(code)
        return self._record("extras", code, lambda: super(TrackingIndex, self).extras(code),
                            lambda pairs: self._extras_fp(code, pairs))

    def extras_having(self, code: str, field: str, value: Any) -> list[str]:
        if self.log is None or self._depth:
            return super().extras_having(code, field, value)
        return self._record("extras_having", (code, field, value),
                            lambda: super(TrackingIndex, self).extras_having(code, field, value), tuple)

    @staticmethod
    def _extras_fp(code: str, pairs: list[tuple[ModuleSummary, Any]]) -> str:
        return fingerprint(sorted((s.module, extras_fp(s, code)) for s, _ in pairs))

    # ------------------------------------------------------------ validation
    def answer(self, kind: str, key: Any) -> Any:
        """The fingerprint this index gives to a recorded question (not recorded itself)."""
        memo_key = (kind, key)
        if memo_key in self._answers:
            return self._answers[memo_key]
        saved, self.log = self.log, None
        try:
            if kind == "find_class":
                value = self.class_fp(self.find_class(key))
            elif kind == "is_keras":
                value = bool(self.is_keras(key))
            elif kind == "ancestors":
                value = tuple(self.class_fp(i) for i in self.ancestors(key))
            elif kind == "extras":
                value = self._extras_fp(key, self.extras(key))
            elif kind == "extras_having":
                value = tuple(self.extras_having(*key))
            elif kind == "module":
                value = self.summary_fp(dict.get(self.modules, key))
            elif kind == "modules":
                value = self.all_fp()
            else:
                value = object()  # unknown question: never equal
        finally:
            self.log = saved
        self._answers[memo_key] = value
        return value

    def still_valid(self, log: DependencyLog) -> bool:
        """True when every recorded question gets the recorded answer from this index."""
        return all(self.answer(kind, key) == fp for (kind, key), fp in log.items())


# =========================================================================== run types
@dataclass
class RunOptions:
    """What a run should do besides reporting."""

    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes and report them as diffs; write nothing
    use_cache: bool = True
    jobs: int | None = None  # None: one worker per available CPU, no pool for small runs
    progress: Callable[[str, int, int], None] | None = None  # (phase, done, total)

    @property
    def fixing(self) -> bool:
        return self.fix or self.diff


@dataclass
class FileOutcome:
    """The result for one linted file."""

    file: SourceFile
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed_codes: list[str] = field(default_factory=list)  # one per applied (or diffed) fix
    diff: str | None = None
    warning: str | None = None  # e.g. a fix produced invalid code and was not written
    written: bool = False


@dataclass
class RunStats:
    """Counters describing how much work a run did (for tests, ``-v`` and the benchmark)."""

    files: int = 0
    indexed_only: int = 0
    summaries_cached: int = 0
    results_cached: int = 0
    parsed: int = 0
    speculative_kept: int = 0
    speculative_dropped: int = 0
    linted: int = 0
    fix_runs: int = 0
    workers: int = 0
    cache_written: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.files} file(s) linted, {self.indexed_only} indexed only; "
                f"{self.summaries_cached} summaries and {self.results_cached} results from cache; "
                f"{self.parsed} parsed, {self.linted} linted ({self.speculative_kept} in phase 1, "
                f"{self.speculative_dropped} re-linted); {self.workers} worker(s); "
                f"{self.cache_written} cache entries written; {self.seconds:.2f}s")


@dataclass
class RunResult:
    outcomes: list[FileOutcome]
    warnings: list[str]
    stats: RunStats

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for o in self.outcomes for d in o.diagnostics]


# =========================================================================== per-file work
@dataclass
class _State:
    """What workers need; set once per process (pool initializer or in-process)."""

    config: LintConfig
    project_modules: frozenset[str] = frozenset()
    index: TrackingIndex | None = None
    options: RunOptions | None = None
    keep_parsed: bool = False  # phase 1 hands its trees to phase 2 (in-process runs only)


_STATE: _State | None = None


def _init_worker(state: _State) -> None:
    global _STATE
    _STATE = state
    if state.index is not None and not isinstance(state.index.modules, _TrackedModules):
        state.index._wrap(dict(dict.items(state.index.modules)))
    # Parsing allocates many objects that live briefly; a young-generation collection every
    # 700 allocations costs more than it frees here.
    gc.set_threshold(50_000, 50, 100)


def _init_pool_worker(state: _State) -> None:
    _init_worker(state)
    # The parent runs with the collector off; a worker parses many files and may leave
    # cycles behind, so collect (rarely) without rescanning what it inherited.
    gc.freeze()
    gc.enable()


def _collectors() -> list[type[Rule]]:
    seen: dict[str, type[Rule]] = {}
    for rule in all_rules().values():
        key = getattr(rule, "collect_key", None)
        if key and key not in seen:
            seen[key] = rule
    return list(seen.values())


def _analyse(text: str, f: SourceFile, config: LintConfig) -> ParsedFile:
    """Parse and summarise, with the rules' collected facts (raises on a syntax error)."""
    parsed = parse_source(text, f.display, f.module, f.is_package)
    parsed.summary.path = f.path
    collectors = _collectors()
    if collectors:
        ctx = FileContext(text, parsed.tree, f.display, parsed.sem, ProjectIndex([parsed.summary]), config)
        for rule in collectors:
            try:
                facts = rule.collect(parsed.tree, ctx)
            except Exception:  # a rule's bug must not stop the run
                facts = None
            if facts is not None:
                parsed.summary.extras[rule.collect_key] = facts  # type: ignore[index]
    stamp(parsed.summary)
    return parsed


def _read(f: SourceFile, data: bytes | None = None) -> tuple[str | None, Any]:
    """(content hash, SourceText) or (hash or None, SourceError)."""
    try:
        if data is None:
            data = read_bytes(f.path)
        digest = content_hash(data)
    except SourceError as exc:
        return None, exc
    try:
        return digest, decode(data)
    except SourceError as exc:
        return digest, exc


def _error_diagnostic(f: SourceFile, message: str, config: LintConfig,
                      pos: Position | None = None) -> list[Diagnostic]:
    if not config.is_enabled(PARSE_ERROR, False, f.display):
        return []
    pos = pos or Position(1, 0)
    return [Diagnostic(PARSE_ERROR, message, f.display, pos, pos, None)]


@dataclass
class _P1:
    """Phase-1 result of one file."""

    i: int
    content: str | None
    summary: ModuleSummary | None
    record: LintRecord | None  # speculative (or definitive for unparsable files)
    parsed: int = 0
    final: bool = False  # the record does not depend on the project (DLT000)
    kept: Any = None  # (SourceText, ParsedFile) when phase 2 runs in this process: no re-parse


def _depends_on_project(summary: ModuleSummary, project_modules: frozenset[str]) -> bool:
    """Whether a class of the file derives from a class of another project module (then the
    speculative lint is sure to be redone and is skipped)."""
    for info in summary.classes.values():
        for base in info.bases:
            if not base or is_keras_base(base):
                continue  # the index answers these without looking at any module
            module = base
            while "." in module:
                module = module.rpartition(".")[0]
                if module in project_modules and module != summary.module:
                    return True
    return False


def _phase1(task: tuple[int, SourceFile, bytes | None, bool]) -> _P1:
    i, f, data, speculate = task
    state = _STATE
    assert state is not None
    config = state.config
    digest, src = _read(f, data)
    if isinstance(src, SourceError):
        return _P1(i, digest, None, LintRecord({}, _error_diagnostic(f, str(src), config)), final=True)
    try:
        parsed = _analyse(src.text, f, config)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        diags = [parse_error(f.display, exc)] if config.is_enabled(PARSE_ERROR, False, f.display) else []
        return _P1(i, digest, None, LintRecord({}, diags), parsed=1, final=True)
    record = None
    if speculate and f.lint and not _depends_on_project(parsed.summary, state.project_modules):
        index = TrackingIndex([parsed.summary], config.option("extra-keras-bases", []) or [])
        index.log, index.own = {}, f.module
        diags = lint_source(src.text, f.display, config, index, f.module, f.is_package, parsed=parsed)
        record = LintRecord(index.log, diags)
    kept = (src, parsed) if state.keep_parsed and f.lint else None
    return _P1(i, digest, parsed.summary, record, parsed=1, kept=kept)


@dataclass
class _P2:
    """Phase-2 result of one file."""

    i: int
    content: str | None
    record: LintRecord | None = None  # a fresh lint (cacheable)
    remaining: list[Diagnostic] | None = None  # after fixing
    fixed_codes: list[str] = field(default_factory=list)
    new_text: str | None = None
    encoding: str | None = None
    warning: str | None = None
    diff: str | None = None
    parsed: int = 0


def _phase2(task: tuple[int, SourceFile, str | None, list[Diagnostic] | None, Any]) -> _P2:
    """Lint ``f`` against the full index (unless ``known`` diagnostics are given) and, when
    fixing, compute the fixed text."""
    i, f, expected, known, kept = task
    state = _STATE
    assert state is not None and state.index is not None and state.options is not None
    config, index, options = state.config, state.index, state.options
    if kept is not None:  # phase 1 ran in this process and kept the tree
        digest, (src, parsed) = expected, kept
    else:
        digest, src = _read(f)
        if isinstance(src, SourceError):
            return _P2(i, digest, LintRecord({}, _error_diagnostic(f, str(src), config)))
        parsed = None
    out = _P2(i, digest)
    diags = known
    if diags is None or digest != expected:
        if parsed is None:
            try:
                parsed = _analyse(src.text, f, config)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                found = [parse_error(f.display, exc)] if config.is_enabled(PARSE_ERROR, False, f.display) else []
                out.record, out.parsed = LintRecord({}, found), 1
                return out
            out.parsed = 1
        current = dict.get(index.modules, f.module)
        if current is not None and current.path == f.path and digest == expected:
            parsed.summary = current  # same text as phase 1: keep the index (and its memo) as is
        index.log, index.own = {}, f.module
        try:
            diags = lint_source(src.text, f.display, config, index, f.module, f.is_package, parsed=parsed)
            out.record = LintRecord(index.log, diags)
        finally:
            index.log, index.own = None, None
    if options.fixing and _fixable(diags, options.unsafe_fixes):
        result = fix_source(src.text, f.display, config, index, f.module, f.is_package,
                            unsafe=options.unsafe_fixes)
        out.parsed += 1 + len(result.codes)
        if result.error:
            out.warning = f"{f.display}: {result.error}"
            out.remaining = result.remaining
        elif result.source != src.text:
            try:
                encode(result.source, src.encoding)
            except UnicodeEncodeError as exc:
                out.warning = (f"{f.display}: fixed text cannot be encoded as {src.encoding} "
                               f"({exc.reason}); file left unchanged")
                out.remaining = diags
            else:
                out.new_text, out.encoding = result.source, src.encoding
                if options.diff:
                    out.diff = unified_diff(src.text, result.source, f.display)
                out.fixed_codes = list(result.codes)
                out.remaining = result.remaining
    return out


def _fixable(diags: Iterable[Diagnostic], unsafe: bool) -> bool:
    return any(d.fix is not None and d.fix.edits and (unsafe or d.fix.applicability == "safe")
               for d in diags)


# =========================================================================== pool
def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _workers_for(n_tasks: int, jobs: int | None) -> int:
    if n_tasks <= 1:
        return 1
    if jobs is not None:
        return max(1, min(jobs, n_tasks))
    if n_tasks < POOL_THRESHOLD:
        return 1
    return max(1, min(available_cpus(), n_tasks // 4 or 1))


def _context() -> multiprocessing.context.BaseContext:
    # fork shares the already imported rules and, for phase 2, the index without pickling.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _map(func: Callable[[Any], Any], tasks: list[Any], state: _State, workers: int,
         progress: Callable[[int], None] | None) -> Iterator[Any]:
    """Run ``func`` over ``tasks`` (in a pool when ``workers`` > 1); results in any order."""
    if workers <= 1:
        global _STATE
        saved = _STATE
        _init_worker(state)
        was_enabled = gc.isenabled()
        if len(tasks) > 8:
            # Parsing can leave cycles behind: collect them, but rarely, and without scanning
            # the objects that exist already (the index, cache entries).
            gc.freeze()
            gc.enable()
        try:
            for n, task in enumerate(tasks, 1):
                yield func(task)
                if progress:
                    progress(n)
        finally:
            _STATE = saved
            if not was_enabled:
                gc.disable()
        return
    chunk = max(1, min(32, len(tasks) // (workers * 6)))
    with _context().Pool(workers, initializer=_init_pool_worker, initargs=(state,)) as pool:
        for n, result in enumerate(pool.imap_unordered(func, tasks, chunksize=chunk), 1):
            yield result
            if progress:
                progress(n)


# =========================================================================== the run
def environment_fingerprint() -> str:
    """Facts from outside the project that rules read: the installed ``dl_techniques`` factory
    registries (changed by upgrading or editing the framework)."""
    try:
        spec = importlib.util.find_spec("dl_techniques")
    except (ImportError, ValueError):
        spec = None
    stats: list[Any] = []
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            for dirpath, dirnames, filenames in os.walk(location):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                if "factory.py" in filenames:
                    try:
                        st = os.stat(os.path.join(dirpath, "factory.py"))
                        stats.append((dirpath, st.st_size, st.st_mtime_ns))
                    except OSError:
                        pass
    return hashlib.blake2b(repr(sorted(stats)).encode(), digest_size=8).hexdigest()


def unified_diff(before: str, after: str, name: str) -> str:
    """A unified diff of one file's fix."""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile=f"a/{name}", tofile=f"b/{name}")
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def run(files: list[SourceFile], config: LintConfig, options: RunOptions | None = None,
        index_only: list[SourceFile] = ()) -> RunResult:
    """Lint ``files`` (and index ``index_only``) with ``config``."""
    # Loading thousands of cached objects and parsing create many objects that live on; the
    # collector's repeated full passes over them would cost more than the run itself.
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    gc.disable()
    try:
        return _run(files, config, options, index_only)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        if enabled:
            gc.enable()


def _run(files: list[SourceFile], config: LintConfig, options: RunOptions | None,
         index_only: list[SourceFile]) -> RunResult:
    from dlt_lint.files import write_atomic

    began = time.perf_counter()
    options = options or RunOptions()
    stats = RunStats(files=len(files), indexed_only=len(index_only))
    warnings: list[str] = []
    every = list(files) + list(index_only)
    n = len(every)
    cache = Cache(config.root, enabled=options.use_cache)
    # The modules of the built-in rules are part of the tool fingerprint; a rule defined
    # elsewhere (a plugin, a test) counts by its code. Rule modules are imported only when
    # a file must be parsed: a warm run does without them.
    tool = tool_fingerprint() + ",".join(external_rule_codes())
    config_fp = config.fingerprint()
    env = environment_fingerprint()
    extra_bases = config.option("extra-keras-bases", []) or []

    contents: list[str | None] = [None] * n
    summaries: list[ModuleSummary | None] = [None] * n
    records: list[LintRecord | None] = [None] * n
    final: list[bool] = [False] * n  # record needs no validation
    entries: list[CacheEntry | None] = [None] * n
    contexts = [entry_context(tool, config_fp, f.module, f.is_package, env) for f in every]
    dirty = [False] * n

    # ---------------------------------------------------------------- phase 1: summaries
    tasks: list[tuple[int, SourceFile, bytes | None, bool]] = []
    raw: dict[int, bytes] = {}
    stats_of: list[StatKey | None] = [None] * n
    refreshes = 0
    for i, f in enumerate(every):
        entry = cache.load(f.path) if options.use_cache else None
        if entry is not None and entry.context != contexts[i]:
            entry = None
        if options.use_cache:
            stats_of[i] = stat_key(f.path)  # taken before reading: a later edit changes it
        if entry is not None and entry.unchanged(stats_of[i]):
            digest = entry.content  # same size, times and inode, read long after its last edit
        else:
            try:
                data = read_bytes(f.path)
            except SourceError as exc:
                if f.lint:
                    records[i] = LintRecord({}, _error_diagnostic(f, str(exc), config))
                    final[i] = True
                continue
            digest = content_hash(data)
            raw[i] = data
        contents[i] = digest
        if entry is not None and entry.content == digest:
            if i in raw and refreshes < MAX_STAT_REFRESH and CacheEntry.trusted(stats_of[i]):
                dirty[i] = True  # read again although unchanged: store its settled stat
                refreshes += 1
            entries[i] = entry
            stats.summaries_cached += 1
            summaries[i] = entry.summary
            if entry.summary is None:  # unparsable: the record is the DLT000
                records[i] = entry.record(f.display)
                final[i] = True
            elif f.lint:
                records[i] = entry.record(f.display)
            raw.pop(i, None)
            continue
        tasks.append((i, f, None, True))
    project_modules = frozenset(f.module for f in every if f.module)
    workers = _workers_for(len(tasks), options.jobs)
    stats.workers = max(stats.workers, workers)
    if tasks:
        all_rules()  # imported once here, not in every forked worker
    # Small in-process runs (one edited file) keep their trees for phase 2 instead of parsing
    # twice; they lint once, against the full index, instead of speculating in phase 1.
    keep_parsed = workers <= 1 and len(tasks) <= 64
    if workers <= 1:  # in-process: hand over the bytes already read
        tasks = [(i, f, raw.get(i), spec and not keep_parsed) for i, f, _, spec in tasks]
    raw.clear()
    state = _State(config, project_modules, keep_parsed=keep_parsed)
    kept: dict[int, Any] = {}
    prog = (lambda k: options.progress("index", k, len(tasks))) if options.progress and tasks else None
    for res in _map(_phase1, tasks, state, workers, prog):
        stats.parsed += res.parsed
        contents[res.i] = res.content if res.content is not None else contents[res.i]
        summaries[res.i] = res.summary
        records[res.i] = res.record if every[res.i].lint else None
        final[res.i] = res.final
        dirty[res.i] = res.content is not None
        if res.kept is not None:
            kept[res.i] = res.kept

    # ---------------------------------------------------------------- the project index
    index = TrackingIndex([s for s in summaries if s is not None], extra_bases)
    owner = {s.module: s for s in summaries if s is not None}  # who the index holds per module

    # ---------------------------------------------------------------- validate kept results
    todo: list[int] = []
    speculative = {t[0] for t in tasks}
    for i, f in enumerate(every):
        if not f.lint:
            continue
        rec = records[i]
        if rec is not None and not final[i]:
            s = summaries[i]
            view = index if s is None or owner.get(s.module) is s else index.with_module(s)
            if not view.still_valid(rec.log):
                rec = records[i] = None
                if i in speculative:
                    stats.speculative_dropped += 1
            elif i in speculative:
                stats.speculative_kept += 1
                stats.linted += 1
                dirty[i] = True
            else:
                stats.results_cached += 1
        elif rec is not None and final[i] and i not in speculative and entries[i] is not None:
            stats.results_cached += 1
        if rec is None and summaries[i] is not None:
            todo.append(i)

    # ---------------------------------------------------------------- phase 2: lint / fix
    p2_tasks: list[tuple[int, SourceFile, str | None, list[Diagnostic] | None, Any]] = []
    for i in todo:
        p2_tasks.append((i, every[i], contents[i], None, None))
    if options.fixing:
        pending = set(todo)
        for i, f in enumerate(every):
            rec = records[i]
            if f.lint and i not in pending and rec is not None and not final[i] \
                    and _fixable(rec.diagnostics, options.unsafe_fixes):
                p2_tasks.append((i, f, contents[i], rec.diagnostics, None))
    outcomes: dict[int, FileOutcome] = {}
    if p2_tasks:
        all_rules()
        workers2 = _workers_for(len(p2_tasks), options.jobs)
        if workers2 <= 1 and kept:
            p2_tasks = [(i, f, c, k, kept.get(i)) for i, f, c, k, _ in p2_tasks]
        kept.clear()
        stats.workers = max(stats.workers, workers2)
        state2 = _State(config, project_modules, index, options)
        prog = (lambda k: options.progress("lint", k, len(p2_tasks))) if options.progress else None
        for res in _map(_phase2, p2_tasks, state2, workers2, prog):
            i, f = res.i, every[res.i]
            stats.parsed += res.parsed
            if res.record is not None:
                records[res.i] = res.record
                stats.linted += 1
                if res.content is not None and res.content == contents[i]:
                    dirty[i] = True
                else:  # the file changed under us: do not cache
                    dirty[i] = False
            outcome = outcomes.setdefault(i, FileOutcome(f))
            if res.warning:
                outcome.warning = res.warning
                warnings.append(res.warning)
            if res.new_text is None:
                continue
            stats.fix_runs += 1
            outcome.fixed_codes = list(res.fixed_codes)
            if options.diff:
                outcome.diff = res.diff
                continue
            try:
                write_atomic(f.path, encode(res.new_text, res.encoding or "utf-8"))
            except OSError as exc:
                outcome.warning = f"{f.display}: cannot write the fixed file: {exc.strerror or exc}"
                warnings.append(outcome.warning)
                outcome.fixed_codes = []
                continue
            outcome.written = True
            outcome.diagnostics = list(res.remaining or [])
            dirty[i] = False  # the text the record describes is gone

    # ---------------------------------------------------------------- results and cache
    result_outcomes: list[FileOutcome] = []
    for i, f in enumerate(files):
        outcome = outcomes.get(i) or FileOutcome(f)
        rec = records[i]
        if not outcome.written and rec is not None:
            outcome.diagnostics = rec.diagnostics
        result_outcomes.append(outcome)
    if options.use_cache:
        for i, f in enumerate(every):
            if not dirty[i] or contents[i] is None:
                continue
            entry = entries[i]
            if f.lint or entry is None:
                cache.store(f.path, CacheEntry.make(contents[i], contexts[i], summaries[i], records[i],
                                                    stats_of[i]))
            else:  # indexed only: keep the lint result of an earlier run
                cache.store(f.path, CacheEntry(contents[i], contexts[i], summaries[i], entry.log, entry.rows,
                                               stats_of[i]))
    stats.cache_written = cache.written
    stats.seconds = time.perf_counter() - began
    return RunResult(result_outcomes, warnings, stats)
