"""The project index a language server lints with: built once per workspace root, in the
background, and kept current with the text of the open documents."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext
from dlt_lint.index import ModuleSummary, ProjectIndex, module_name_for
from dlt_lint.linter import ParsedFile, parse_source
from dlt_lint.rule import all_rules

logger = logging.getLogger("dlt_lint.lsp")

MAX_FILE_BYTES = 2_000_000


def collect_extras(parsed: ParsedFile, filename: str, config: LintConfig) -> None:
    """Store the cross-file facts of every rule with a ``collect`` hook in the file's summary."""
    rules = list({r.collect_key: r for r in reversed(all_rules().values())
                  if getattr(r, "collect_key", None)}.values())  # one rule per key, as the engine does
    if not rules:
        return
    ctx = FileContext(parsed.source, parsed.tree, filename, parsed.sem, ProjectIndex([parsed.summary]), config)
    for rule in rules:
        try:
            facts = rule.collect(parsed.tree, ctx)
        except Exception:  # a rule's bug must not stop indexing
            logger.exception("collect hook of %s failed on %s", rule.code, filename)
            continue
        if facts is not None:
            parsed.summary.extras[rule.collect_key] = facts


def summarize_text(text: str, path: Path, config: LintConfig) -> ModuleSummary | None:
    """Summary of one file's text (None when it does not parse)."""
    module, is_package = module_name_for(path)
    try:
        parsed = parse_source(text, str(path), module, is_package)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    collect_extras(parsed, str(path), config)
    return parsed.summary


def summarize_file(path: Path, config: LintConfig) -> ModuleSummary | None:
    """Summary of a file on disk (None when it cannot be read or parsed)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return summarize_text(text, path, config)


def python_files(root: Path, config: LintConfig, limit: int) -> Iterator[Path]:
    """``*.py`` files under ``root`` that ``config`` does not exclude (at most ``limit``)."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not config.is_excluded(here / d))
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = here / name
            if config.is_excluded(path):
                continue
            yield path
            count += 1
            if count >= limit:
                logger.warning("project index capped at %d files under %s", limit, root)
                return


class WorkspaceIndex:
    """A :class:`ProjectIndex` of one workspace root, built once in a background thread.

    Until the build finishes, :meth:`current` answers with an index of the open documents
    only (so a file is linted at once, with fewer cross-file facts). Open documents'
    summaries (from their unsaved text) always override the ones read from disk.
    :meth:`current`, :meth:`update` and the index objects they return are meant for one
    thread (the server's lint worker); the build thread only hands its result over.
    """

    def __init__(self, root: Path, config: LintConfig, max_files: int = 20_000,
                 on_ready: Callable[[], None] | None = None) -> None:
        """Index ``root`` (excluding what ``config`` excludes), at most ``max_files`` files."""
        self.root = root
        self.config = config
        self.max_files = max_files
        self.on_ready = on_ready
        self.extra_bases = list(config.option("extra-keras-bases", []) or [])
        self.files = 0
        self.seconds = 0.0
        self._overlay: dict[str, ModuleSummary] = {}
        self._index: ProjectIndex | None = None
        self._built: ProjectIndex | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ building
    def start(self) -> None:
        """Start the background build (once)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._build, name="dlt-lint-index", daemon=True)
            self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the build; True when it is done."""
        self.start()
        return self._done.wait(timeout)

    @property
    def ready(self) -> bool:
        """True once the background build has finished."""
        return self._done.is_set()

    def _build(self) -> None:
        began = time.perf_counter()
        summaries = []
        try:
            for path in python_files(self.root, self.config, self.max_files):
                summary = summarize_file(path, self.config)
                if summary is not None:
                    summaries.append(summary)
        except Exception:  # pragma: no cover - defensive: never kill the server
            logger.exception("building the project index of %s failed", self.root)
        self.files = len(summaries)
        self._built = ProjectIndex(summaries, extra_bases=self.extra_bases)
        self.seconds = time.perf_counter() - began
        logger.info("indexed %d files under %s in %.2fs", self.files, self.root, self.seconds)
        self._done.set()
        if self.on_ready is not None:
            try:
                self.on_ready()
            except Exception:  # pragma: no cover
                logger.exception("index ready callback failed")

    # ------------------------------------------------------------------ lint-thread API
    def current(self) -> tuple[ProjectIndex, bool]:
        """The index to lint with and whether it covers the whole workspace."""
        self.start()
        if self._index is None and self._done.is_set() and self._built is not None:
            index = self._built
            for summary in self._overlay.values():
                index.add(summary)
            self._index = index
        if self._index is not None:
            return self._index, True
        return ProjectIndex(list(self._overlay.values()), extra_bases=self.extra_bases), False

    def update(self, summary: ModuleSummary) -> None:
        """Record the summary of an open document's current text."""
        if not summary.module:
            return
        self._overlay[summary.module] = summary
        if self._index is not None:
            self._index.add(summary)

    def revert(self, module: str, disk_summary: ModuleSummary | None) -> None:
        """A document was closed: its summary is the file on disk again."""
        self._overlay.pop(module, None)
        if disk_summary is not None and self._index is not None:
            self._index.add(disk_summary)
