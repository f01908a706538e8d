"""dlt-lint as a Language Server (LSP over stdio), built on pygls 2.

Launch with ``python -m dlt_lint.lsp`` (or ``dlt-lint server``). The server

* lints the *text* of open Python documents (not the file on disk) on open, on change
  (debounced) and on save, with the configuration found from the document's path and a
  project index of the workspace root built once in the background;
* publishes the findings as diagnostics (Warning; DLT000 parse failures as Error) and
  clears them when the document closes;
* offers code actions: one quick fix per fixable finding, a ``# noqa`` suppression per
  finding and ``source.fixAll.dlt-lint`` (all safe fixes, as ``dlt-lint --fix`` would).

Initialization options (all optional): ``{"debounce": 0.2, "indexWait": 1.0,
"maxIndexFiles": 20000, "index": true}``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from dlt_lint import __version__
from dlt_lint.config import ConfigError, LintConfig
from dlt_lint.diagnostics import Diagnostic
from dlt_lint.index import ProjectIndex, module_name_for
from dlt_lint.linter import fix_source, lint_source, parse_source
from dlt_lint.lsp_index import WorkspaceIndex, collect_extras, summarize_file
from dlt_lint.lsp_text import (
    UTF16,
    TextModel,
    minimal_edits,
    noqa_edit,
    to_lsp_diagnostic,
)

logger = logging.getLogger("dlt_lint.lsp")

SOURCE = "dlt-lint"
FIX_ALL_KIND = "source.fixAll.dlt-lint"
QUICKFIX_KIND = types.CodeActionKind.QuickFix.value
DEFAULT_DEBOUNCE = 0.2


@dataclass
class LintResult:
    """One lint of one document's text, with what is needed to fix it later."""

    uri: str
    text: str
    filename: str
    config: LintConfig
    module: str
    is_package: bool
    project: ProjectIndex | None
    diagnostics: list[Diagnostic]
    full_index: bool = False
    config_error: str | None = None
    fixed: str | None = field(default=None, repr=False)  # fix_source result, computed on demand


def _kind_allowed(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kind filtering: ``only=["source"]`` admits ``source.fixAll.dlt-lint``."""
    if not only:
        return True
    for wanted in only:
        wanted = getattr(wanted, "value", wanted)
        if kind == wanted or kind.startswith(wanted + "."):
            return True
    return False


def _capability(obj: Any, dotted: str, default: Any = None) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return default
    return obj


class DltLanguageServer(LanguageServer):
    """The dlt-lint language server (state shared by the feature handlers below)."""

    def __init__(self) -> None:
        """Create the server with full-text document sync and one lint worker thread."""
        super().__init__(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.debounce = DEFAULT_DEBOUNCE
        self.index_wait = 1.0
        self.max_index_files = 20_000
        self.use_index = True
        # One worker: lints, fixes and index updates never run concurrently.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlt-lint-worker")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[str, asyncio.Future] = {}
        self._results: dict[str, LintResult] = {}
        self.open_uris: set[str] = set()  # as the client spells them
        self._configs: dict[Path, tuple[LintConfig, str | None]] = {}
        self._state_lock = threading.RLock()  # configs and index creation (loop and worker threads)
        self._reported_config_errors: set[str] = set()
        self._index: WorkspaceIndex | None = None
        self._index_root_checked = False
        self._waited_for_index = False

    # ------------------------------------------------------------------ documents
    @property
    def encoding(self) -> str:
        """The negotiated position encoding (UTF-16 unless the client prefers another)."""
        try:
            return str(getattr(self.workspace.position_encoding, "value", self.workspace.position_encoding) or UTF16)
        except RuntimeError:
            return UTF16

    def open_text(self, uri: str) -> tuple[str, int | None] | None:
        """Text and version of an open document (None when it is not open)."""
        if uri not in self.open_uris:
            return None
        doc = self.workspace.get_text_document(uri)
        return doc.source, doc.version

    @staticmethod
    def path_of(uri: str) -> Path | None:
        """File-system path of a ``file:`` URI (None for other schemes)."""
        if not uri.startswith("file:"):
            return None
        fs = to_fs_path(uri)
        return Path(fs) if fs else None

    def is_python(self, uri: str) -> bool:
        """True for documents the client calls Python (or ``.py``/``.pyi`` files)."""
        language = self.workspace.get_text_document(uri).language_id if uri in self.open_uris else None
        if language:
            return language == "python"
        path = self.path_of(uri)
        return path is not None and path.suffix in {".py", ".pyi"}

    # ------------------------------------------------------------------ configuration
    def config_for(self, path: Path | None) -> tuple[LintConfig, str | None]:
        """Configuration for a document (cached per directory) and a load error, if any."""
        directory = path.parent if path is not None else self._root()
        if directory is None:
            return LintConfig(), None
        with self._state_lock:
            cached = self._configs.get(directory)
            if cached is None:
                try:
                    cached = (LintConfig.load(start=directory), None)
                except ConfigError as exc:
                    cached = (LintConfig(root=directory), str(exc))
                self._configs[directory] = cached
            return cached

    def _root(self) -> Path | None:
        try:
            root = self.workspace.root_path
            folders = list(self.workspace.folders.values())
        except RuntimeError:
            return None
        if not root and folders:
            root = to_fs_path(folders[0].uri)
        return Path(root) if root else None

    def workspace_index(self) -> WorkspaceIndex | None:
        """The index of the workspace root, created (not yet built) on first use."""
        with self._state_lock:
            if self._index is None and not self._index_root_checked and self.use_index:
                self._index_root_checked = True
                root = self._root()
                if root is not None and root.is_dir():
                    config, _ = self.config_for(root / "__init__.py")
                    self._index = WorkspaceIndex(root, config, self.max_index_files, on_ready=self._index_ready)
            return self._index

    def _index_ready(self) -> None:
        """Called from the build thread: re-lint documents linted without the full index."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._relint_partial)

    def _relint_partial(self) -> None:
        for uri in list(self.open_uris):
            result = self._results.get(uri)
            if result is None or not result.full_index:
                self.schedule_lint(uri, 0.0)

    # ------------------------------------------------------------------ linting (worker thread)
    def analyze(self, uri: str, text: str) -> LintResult:
        """Lint ``text`` as the document ``uri`` (runs on the worker thread)."""
        path = self.path_of(uri)
        config, error = self.config_for(path)
        filename = str(path) if path is not None else uri
        if path is not None:
            module, is_package = module_name_for(path)
        else:
            module, is_package = "", False
        if path is not None and config.is_excluded(path):
            return LintResult(uri, text, filename, config, module, is_package, None, [], True, error)
        index = self.workspace_index()
        if index is not None and not self._waited_for_index:
            self._waited_for_index = True
            index.wait(self.index_wait)
        try:
            parsed = parse_source(text, filename, module, is_package)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            parsed = None
        project: ProjectIndex | None = None
        full = index is None
        if index is not None:
            if parsed is not None:
                collect_extras(parsed, filename, config)
                index.update(parsed.summary)
            project, full = index.current()
        diagnostics = lint_source(text, filename, config, project, module, is_package, parsed=parsed)
        return LintResult(uri, text, filename, config, module, is_package, project, diagnostics, full, error)

    def fixed_text(self, result: LintResult) -> str:
        """The text with every safe fix applied (runs on the worker thread; cached)."""
        if result.fixed is None:
            fixed = fix_source(result.text, result.filename, result.config, result.project,
                               result.module, result.is_package)
            if fixed.error:
                logger.warning("%s: %s", result.filename, fixed.error)
            result.fixed = fixed.source
        return result.fixed

    def revert_to_disk(self, uri: str) -> None:
        """A document closed: the index describes the file on disk again (worker thread)."""
        path = self.path_of(uri)
        if path is None or self._index is None:
            return
        module, _ = module_name_for(path)
        config, _ = self.config_for(path)
        self._index.revert(module, summarize_file(path, config) if path.is_file() else None)

    # ------------------------------------------------------------------ scheduling (event loop)
    async def run_in_worker(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the lint worker thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def schedule_lint(self, uri: str, delay: float) -> None:
        """(Re)start the lint of ``uri`` after ``delay`` seconds, superseding a pending one."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._pending[uri] = asyncio.ensure_future(self._lint_and_publish(uri, delay))

    async def _lint_and_publish(self, uri: str, delay: float) -> None:
        task = asyncio.current_task()
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            opened = self.open_text(uri)
            if opened is None or not self.is_python(uri):
                return
            text, version = opened
            result = await self.run_in_worker(self.analyze, uri, text)
            current = self.open_text(uri)
            if current is None or current[0] != text:
                return  # superseded by a newer change (its own lint is scheduled)
            self._results[uri] = result
            self.publish(result, version)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a rule's bug must not take the server down
            logger.exception("linting %s failed", uri)
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"dlt-lint failed on {uri}: {exc!r}"))
        finally:
            if self._pending.get(uri) is task:
                del self._pending[uri]

    def publish(self, result: LintResult, version: int | None) -> None:
        """Send ``result``'s findings (and a configuration error, once) to the client."""
        if result.config_error and result.config_error not in self._reported_config_errors:
            self._reported_config_errors.add(result.config_error)
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Error, message=f"dlt-lint configuration error: {result.config_error}"))
        model = TextModel(result.text, self.encoding)
        diagnostics = [to_lsp_diagnostic(model, d, SOURCE) for d in result.diagnostics]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=result.uri, diagnostics=diagnostics, version=version))

    def clear(self, uri: str) -> None:
        """Drop pending work and results of ``uri`` and publish no diagnostics for it."""
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._results.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def result_for(self, uri: str) -> LintResult | None:
        """The lint of the document's current text (reused when the text has not changed)."""
        opened = self.open_text(uri)
        if opened is None or not self.is_python(uri):
            return None
        text = opened[0]
        result = self._results.get(uri)
        if result is not None and result.text == text:
            return result
        return await self.run_in_worker(self.analyze, uri, text)

    def reset_configs(self) -> None:
        """Forget the cached configurations and re-lint every open document."""
        with self._state_lock:
            self._configs.clear()
        self._reported_config_errors.clear()
        for uri in list(self.open_uris):
            self.schedule_lint(uri, 0.0)

    def stop_worker(self) -> None:
        """Cancel pending lints and stop the worker thread (on shutdown)."""
        for pending in self._pending.values():
            pending.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ code actions
    def workspace_edit(self, uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        """Edits of one document, versioned when the client supports ``documentChanges``."""
        caps = self.client_capabilities
        if _capability(caps, "workspace.workspace_edit.document_changes", False):
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=edits)])
        return types.WorkspaceEdit(changes={uri: edits})

    def can_resolve_edits(self) -> bool:
        """True when the client resolves a code action's ``edit`` lazily."""
        props = _capability(self.client_capabilities, "text_document.code_action.resolve_support.properties", [])
        return "edit" in (props or [])

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """Quick fixes, ``# noqa`` suppressions and fix-all for the requested range."""
        uri = params.text_document.uri
        result = await self.result_for(uri)
        if result is None or not result.diagnostics:
            return []
        opened = self.open_text(uri)
        version = opened[1] if opened else None
        only = params.context.only
        model = TextModel(result.text, self.encoding)
        lo, hi = model.offset_of(params.range.start), model.offset_of(params.range.end)
        actions: list[types.CodeAction] = []
        if _kind_allowed(QUICKFIX_KIND, only):
            suppress: list[types.CodeAction] = []
            seen_noqa: set[tuple[int, str]] = set()
            for d in result.diagnostics:
                start, end = model.offset(d.start), model.offset(d.end)
                if start > hi or end < lo:
                    continue
                lsp_diag = to_lsp_diagnostic(model, d, SOURCE)
                if d.fix is not None and d.fix.edits:
                    unsafe = d.fix.applicability == "unsafe"
                    title = f"{d.fix.message} ({d.code})" + (" (unsafe)" if unsafe else "")
                    edits = [model.text_edit(e) for e in d.fix.edits]
                    actions.append(types.CodeAction(
                        title=title, kind=QUICKFIX_KIND, diagnostics=[lsp_diag], is_preferred=not unsafe,
                        edit=self.workspace_edit(uri, version, edits)))
                key = (d.start.row, d.code)
                if key in seen_noqa:
                    continue
                seen_noqa.add(key)
                edit = noqa_edit(model, d)
                if edit is not None:
                    suppress.append(types.CodeAction(
                        title=f"Suppress {d.code} with # noqa", kind=QUICKFIX_KIND, diagnostics=[lsp_diag],
                        edit=self.workspace_edit(uri, version, [edit])))
            actions.extend(suppress)
        if _kind_allowed(FIX_ALL_KIND, only) and any(
                d.fix is not None and d.fix.applicability == "safe" for d in result.diagnostics):
            action = types.CodeAction(title="Fix all safe dlt-lint problems", kind=FIX_ALL_KIND,
                                      data={"uri": uri, "version": version})
            if self.can_resolve_edits():
                actions.append(action)
            else:
                resolved = await self.resolve_fix_all(action)
                if resolved.edit is not None:
                    actions.append(resolved)
        return actions

    async def resolve_fix_all(self, action: types.CodeAction) -> types.CodeAction:
        """Fill in the edit of a ``source.fixAll.dlt-lint`` action."""
        data = action.data if isinstance(action.data, dict) else {}
        uri = data.get("uri")
        if not uri:
            return action
        result = await self.result_for(uri)
        opened = self.open_text(uri)
        if result is None or opened is None:
            return action
        fixed = await self.run_in_worker(self.fixed_text, result)
        edits = minimal_edits(TextModel(result.text, self.encoding), fixed)
        if edits:
            action.edit = self.workspace_edit(uri, opened[1], edits)
        return action


def create_server() -> DltLanguageServer:
    """A server with every feature registered (not started)."""
    server = DltLanguageServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: DltLanguageServer, params: types.InitializeParams) -> None:
        ls._loop = asyncio.get_running_loop()
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ls.debounce = float(options.get("debounce", ls.debounce))
        ls.index_wait = float(options.get("indexWait", ls.index_wait))
        ls.max_index_files = int(options.get("maxIndexFiles", ls.max_index_files))
        ls.use_index = bool(options.get("index", ls.use_index))

    @server.feature(types.INITIALIZED)
    async def initialized(ls: DltLanguageServer, params: types.InitializedParams) -> None:
        index = ls.workspace_index()
        if index is not None:
            index.start()
        if _capability(ls.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False):
            watchers = [types.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
                        types.FileSystemWatcher(glob_pattern="**/*.py")]
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(id="dlt-lint-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                       register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                           watchers=watchers))]))
            except (JsonRpcException, RuntimeError):  # declined: config edits then need a restart
                logger.info("client refused file watching")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DltLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.open_uris.add(params.text_document.uri)
        ls.schedule_lint(params.text_document.uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DltLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule_lint(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DltLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith("pyproject.toml"):
            ls.reset_configs()
            return
        ls.schedule_lint(uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: DltLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.open_uris.discard(uri)
        ls.clear(uri)
        await ls.run_in_worker(ls.revert_to_disk, uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched(ls: DltLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(c.uri.endswith("pyproject.toml") for c in params.changes):
            ls.reset_configs()
            return
        open_uris = set(ls.open_uris)
        changed = [c.uri for c in params.changes if c.uri.endswith(".py") and c.uri not in open_uris]
        for uri in changed:
            await ls.run_in_worker(ls.revert_to_disk, uri)
        if changed:
            for uri in open_uris:
                ls.schedule_lint(uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True))
    async def code_action(ls: DltLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return await ls.code_actions(params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: DltLanguageServer, action: types.CodeAction) -> types.CodeAction:
        if action.kind == FIX_ALL_KIND and action.edit is None:
            return await ls.resolve_fix_all(action)
        return action

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: DltLanguageServer, params: Any = None) -> None:
        ls.stop_worker()

    return server


def main(argv: Sequence[str] | None = None) -> None:
    """Run the language server on stdin/stdout until the client says ``exit``."""
    parser = argparse.ArgumentParser(prog="dlt-lint server", description="dlt-lint language server (stdio)")
    parser.add_argument("--log-file", help="write the server log to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    args = parser.parse_args(list(argv) if argv is not None else [])
    level = logging.DEBUG if args.verbose else logging.WARNING
    if args.log_file:
        logging.basicConfig(filename=args.log_file, level=level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s")
    # The protocol owns stdout: anything else printed there would corrupt the stream.
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    create_server().start_io(stdin, stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
