"""The dlt-lint language server, driven by a real LSP client over stdio in a subprocess.

Every test starts ``python -m dlt_lint.lsp``, talks to it with pygls' ``LanguageClient`` and
bounds every wait with a timeout, so a hung server fails the test instead of hanging CI.
"""

from __future__ import annotations

import asyncio
import re
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from dlt_lint.config import LintConfig
from dlt_lint.diagnostics import Diagnostic, Edit, Position
from dlt_lint.linter import fix_source
from dlt_lint.lsp_text import (
    UTF8,
    UTF16,
    UTF32,
    TextModel,
    apply_text_edits,
    code_units,
    column_from_units,
    minimal_edits,
    noqa_edit,
)
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

WAIT = 15.0  # seconds for any single server answer (generous: the CI machine is shared)
START_WAIT = 30.0  # seconds for the server process to start and answer `initialize`
TEST_BUDGET = 40.0  # seconds for a whole scenario

PYPROJECT = '[tool.dlt-lint]\nselect = ["DLT000", "DLT201"]\n'

VIOLATION = textwrap.dedent("""\
    import keras


    class Block(keras.layers.Layer):
        pass
    """)

CLEAN = textwrap.dedent("""\
    import keras


    @keras.saving.register_keras_serializable()
    class Block(keras.layers.Layer):
        pass
    """)

REGISTER_TITLE = "Add @keras.saving.register_keras_serializable() (DLT201)"


# --------------------------------------------------------------------------- client side helpers
def utf16_offset(text: str, pos: types.Position) -> int:
    """Code-point offset of an LSP (UTF-16) position, written independently of the server."""
    lines = re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text)
    offset = sum(len(line) for line in lines[:pos.line])
    line = re.sub(r"(\r\n|\r|\n)$", "", lines[pos.line]) if pos.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return offset + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return offset + len(line)


def apply_workspace_edit(text: str, uri: str, edit: types.WorkspaceEdit) -> str:
    """Apply the edits a WorkspaceEdit makes to ``uri`` the way an editor does."""
    edits: list[types.TextEdit] = []
    if edit.changes:
        edits.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        if change.text_document.uri == uri:
            edits.extend(change.edits)
    spans = sorted((utf16_offset(text, e.range.start), utf16_offset(text, e.range.end), e.new_text) for e in edits)
    out, cursor = [], 0
    for start, end, new in spans:
        assert start >= cursor, "overlapping edits"
        out.append(text[cursor:start])
        out.append(new)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


class Session:
    """One server process plus the notifications it sent."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.published: list[types.PublishDiagnosticsParams] = []
        self.changed = asyncio.Event()
        self.versions: dict[str, int] = {}

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.published.append(params)
            self.changed.set()

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            pass

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_show(params: types.ShowMessageParams) -> None:
            pass

    def uri(self, relative: str) -> str:
        return from_fs_path(str(self.root / relative))

    def mark(self) -> int:
        return len(self.published)

    async def publication(self, uri: str, since: int,
                          until: Callable[[types.PublishDiagnosticsParams], bool] | None = None,
                          ) -> types.PublishDiagnosticsParams:
        """The first diagnostics notification for ``uri`` after notification number ``since``
        (that satisfies ``until``)."""
        async def wait() -> types.PublishDiagnosticsParams:
            seen = since
            while True:
                for params in self.published[seen:]:
                    if params.uri == uri and (until is None or until(params)):
                        return params
                seen = len(self.published)
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(wait(), WAIT)

    async def diagnostics(self, uri: str, since: int) -> list[types.Diagnostic]:
        """The first diagnostics published for ``uri`` after notification number ``since``."""
        return list((await self.publication(uri, since)).diagnostics)

    async def open(self, relative: str, text: str) -> list[types.Diagnostic]:
        uri = self.uri(relative)
        since = self.mark()
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        return await self.diagnostics(uri, since)

    def change(self, relative: str, text: str) -> int:
        uri = self.uri(relative)
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    async def code_actions(self, relative: str, rng: types.Range, only: list[str] | None = None,
                           diagnostics: list[types.Diagnostic] | None = None) -> list[types.CodeAction]:
        result = await asyncio.wait_for(self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(relative)), range=rng,
            context=types.CodeActionContext(diagnostics=diagnostics or [], only=only))), WAIT)
        return [a for a in result or [] if isinstance(a, types.CodeAction)]


def run_session(tmp_path: Path, scenario: Callable[[Session], Awaitable[Any]],
                capabilities: types.ClientCapabilities | None = None,
                options: dict[str, Any] | None = None,
                command: tuple[str, ...] = (sys.executable, "-m", "dlt_lint.lsp")) -> int:
    """Start a server in ``tmp_path``, run ``scenario``, shut down; returns the exit code."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")

    async def main() -> int:
        client = LanguageClient("dlt-lint-test", "0")
        await client.start_io(*command)
        session = Session(client, tmp_path)
        try:
            init = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
                capabilities=capabilities or types.ClientCapabilities(),
                root_uri=from_fs_path(str(tmp_path)),
                initialization_options={"debounce": 0.05, "indexWait": 5.0, **(options or {})})), START_WAIT)
            assert init.server_info is not None and init.server_info.name == "dlt-lint"
            client.initialized(types.InitializedParams())
            await asyncio.wait_for(scenario(session), TEST_BUDGET)
            await asyncio.wait_for(client.shutdown_async(None), WAIT)
            client.exit(None)
            server = client._server
            assert server is not None
            code = await asyncio.wait_for(server.wait(), WAIT)
            await asyncio.wait_for(client.stop(), WAIT)
            return code
        finally:
            server = client._server
            if server is not None and server.returncode is None:
                server.kill()
                await server.wait()

    return asyncio.run(main())


def reference_fix(tmp_path: Path, relative: str, text: str) -> str:
    path = tmp_path / relative
    return fix_source(text, str(path), LintConfig.load(start=path.parent)).source


# --------------------------------------------------------------------------- server scenarios
def test_diagnostics_quick_fix_fix_all_and_clean_change(tmp_path: Path) -> None:
    async def scenario(s: Session) -> None:
        diags = await s.open("block.py", VIOLATION)
        assert len(diags) == 1
        d = diags[0]
        assert d.code == "DLT201"
        assert d.source == "dlt-lint"
        assert d.severity == types.DiagnosticSeverity.Warning
        assert "Block" in d.message and "register_keras_serializable" in d.message
        # `class Block(` on the fourth line: the range covers the class name.
        assert d.range == types.Range(start=types.Position(line=3, character=6),
                                      end=types.Position(line=3, character=11))

        actions = await s.code_actions("block.py", d.range, diagnostics=[d])
        titles = [a.title for a in actions]
        assert REGISTER_TITLE in titles
        assert "Suppress DLT201 with # noqa" in titles
        expected = reference_fix(s.root, "block.py", VIOLATION)
        assert expected == CLEAN
        quick = next(a for a in actions if a.title == REGISTER_TITLE)
        assert quick.kind == types.CodeActionKind.QuickFix
        assert quick.is_preferred is True
        assert quick.diagnostics and quick.diagnostics[0].code == "DLT201"
        assert quick.edit is not None
        assert apply_workspace_edit(VIOLATION, s.uri("block.py"), quick.edit) == expected

        fix_all = [a for a in actions if a.kind == "source.fixAll.dlt-lint"]
        assert len(fix_all) == 1 and fix_all[0].edit is not None
        assert apply_workspace_edit(VIOLATION, s.uri("block.py"), fix_all[0].edit) == expected

        # `only` filters by kind: a fix-all-on-save request gets just the source action.
        only = await s.code_actions("block.py", d.range, only=["source.fixAll"])
        assert [a.kind for a in only] == ["source.fixAll.dlt-lint"]
        assert await s.code_actions("block.py", d.range, only=["refactor"]) == []
        # A range without findings offers nothing but the file-wide fix-all.
        far = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
        assert [a.kind for a in await s.code_actions("block.py", far)] == ["source.fixAll.dlt-lint"]

        since = s.mark()
        s.change("block.py", CLEAN)
        assert await s.diagnostics(s.uri("block.py"), since) == []
        # No findings: no actions at all.
        assert await s.code_actions("block.py", d.range) == []

    assert run_session(tmp_path, scenario) == 0


def test_syntax_error_is_one_dlt000_and_server_keeps_working(tmp_path: Path) -> None:
    async def scenario(s: Session) -> None:
        diags = await s.open("broken.py", "import keras\n\nclass Block(keras.layers.Layer:\n    pass\n")
        assert [d.code for d in diags] == ["DLT000"]
        assert diags[0].severity == types.DiagnosticSeverity.Error
        assert diags[0].message.startswith("Failed to parse file")
        assert diags[0].range.start.line == 2
        assert await s.code_actions("broken.py", diags[0].range) == []

        since = s.mark()
        s.change("broken.py", VIOLATION)
        diags = await s.diagnostics(s.uri("broken.py"), since)
        assert [d.code for d in diags] == ["DLT201"]
        # Another document is served as well.
        assert [d.code for d in await s.open("other.py", VIOLATION)] == ["DLT201"]

    assert run_session(tmp_path, scenario) == 0


def test_utf16_ranges_and_edits_on_non_ascii_lines(tmp_path: Path) -> None:
    # U+20000 (an astral CJK ideograph, two UTF-16 units) is a valid identifier character.
    text = "import keras\n\nclass Ärger\U00020000Block(keras.layers.Layer):  # \U0001F600 note\n    pass\n"
    broken = 'x = "\U0001F600" + )\n'

    async def scenario(s: Session) -> None:
        diags = await s.open("uni.py", text)
        assert len(diags) == 1
        # Name = 11 code points but 12 UTF-16 units.
        assert diags[0].range == types.Range(start=types.Position(line=2, character=6),
                                             end=types.Position(line=2, character=18))
        actions = await s.code_actions("uni.py", diags[0].range)
        by_title = {a.title: a for a in actions}
        fixed = apply_workspace_edit(text, s.uri("uni.py"), by_title[REGISTER_TITLE].edit)
        assert fixed == reference_fix(s.root, "uni.py", text)
        noqa = apply_workspace_edit(text, s.uri("uni.py"), by_title["Suppress DLT201 with # noqa"].edit)
        assert noqa == text.replace("\U0001F600 note\n", "\U0001F600 note  # noqa: DLT201\n")

        # A parse error after an emoji: column 10 in code points is 11 UTF-16 units.
        diags = await s.open("bad.py", broken)
        assert [d.code for d in diags] == ["DLT000"]
        assert diags[0].range.start == types.Position(line=0, character=11)

    assert run_session(tmp_path, scenario) == 0


def test_utf8_position_encoding_when_the_client_asks(tmp_path: Path) -> None:
    text = "import keras\n\nclass Ärger\U00020000Block(keras.layers.Layer):\n    pass\n"
    caps = types.ClientCapabilities(general=types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8]))

    async def scenario(s: Session) -> None:
        diags = await s.open("uni.py", text)
        # "Ärger" + U+20000 + "Block": 6 + 4 + 5 = 15 bytes after "class ".
        assert diags[0].range.end == types.Position(line=2, character=6 + 15)

    assert run_session(tmp_path, scenario, capabilities=caps) == 0


def test_noqa_action_merges_into_existing_list_and_silences(tmp_path: Path) -> None:
    text = VIOLATION.replace("class Block(keras.layers.Layer):", "class Block(keras.layers.Layer):  # noqa: E501")

    async def scenario(s: Session) -> None:
        diags = await s.open("q.py", text)
        assert [d.code for d in diags] == ["DLT201"]
        actions = await s.code_actions("q.py", diags[0].range)
        noqa = next(a for a in actions if a.title == "Suppress DLT201 with # noqa")
        assert noqa.kind == types.CodeActionKind.QuickFix
        suppressed = apply_workspace_edit(text, s.uri("q.py"), noqa.edit)
        assert "class Block(keras.layers.Layer):  # noqa: E501, DLT201\n" in suppressed
        since = s.mark()
        s.change("q.py", suppressed)
        assert await s.diagnostics(s.uri("q.py"), since) == []

    assert run_session(tmp_path, scenario) == 0


def test_cross_file_facts_come_from_the_workspace_index_and_open_documents(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "base.py").write_text(textwrap.dedent("""\
        import keras


        @keras.saving.register_keras_serializable()
        class Base(keras.layers.Layer):
            pass
        """), encoding="utf-8")
    child = "from pkg.base import Base\n\n\nclass Child(Base):\n    pass\n"
    fresh = "from pkg.fresh import Fresh\n\n\nclass Leaf(Fresh):\n    pass\n"

    async def scenario(s: Session) -> None:
        # `Base` is a Keras class only according to pkg/base.py, read by the index.
        diags = await s.open("pkg/child.py", child)
        assert [(d.code, d.range.start.line) for d in diags] == [("DLT201", 3)]
        # pkg/fresh.py exists only as an open, unsaved document: its summary is used too.
        await s.open("pkg/fresh.py", "import keras\n\n\nclass Fresh(keras.layers.Layer):\n    pass\n")
        diags = await s.open("pkg/leaf.py", fresh)
        assert [(d.code, d.range.start.line) for d in diags] == [("DLT201", 3)]

    assert run_session(tmp_path, scenario) == 0


def test_debounced_changes_publish_the_latest_text_and_close_clears(tmp_path: Path) -> None:
    async def scenario(s: Session) -> None:
        uri = s.uri("d.py")
        await s.open("d.py", CLEAN)
        since = s.mark()
        for text in (VIOLATION, CLEAN, VIOLATION, CLEAN, VIOLATION):
            last = s.change("d.py", text)
        final = await s.publication(uri, since, lambda p: p.version == last)
        assert [d.code for d in final.diagnostics] == ["DLT201"]
        published = [p for p in s.published[since:] if p.uri == uri]
        assert len(published) < 5  # debounced: not one lint per keystroke

        since = s.mark()
        s.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert await s.diagnostics(uri, since) == []

        # Saving re-lints at once.
        await s.open("e.py", VIOLATION)
        since = s.mark()
        s.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=s.uri("e.py"))))
        assert [d.code for d in await s.diagnostics(s.uri("e.py"), since)] == ["DLT201"]

    assert run_session(tmp_path, scenario, options={"debounce": 0.5}) == 0


def test_fix_all_is_resolved_lazily_when_the_client_supports_it(tmp_path: Path) -> None:
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(code_action=types.CodeActionClientCapabilities(
            resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]), data_support=True)),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)))

    async def scenario(s: Session) -> None:
        diags = await s.open("r.py", VIOLATION)
        actions = await s.code_actions("r.py", diags[0].range, only=["source"])
        assert len(actions) == 1 and actions[0].edit is None
        resolved = await asyncio.wait_for(s.client.code_action_resolve_async(actions[0]), WAIT)
        assert resolved.edit is not None and resolved.edit.document_changes  # versioned edits
        change = resolved.edit.document_changes[0]
        assert change.text_document.version == 1
        assert apply_workspace_edit(VIOLATION, s.uri("r.py"), resolved.edit) == CLEAN

    assert run_session(tmp_path, scenario, capabilities=caps) == 0


# --------------------------------------------------------------------------- conversions (in process)
def test_code_units_and_columns_in_each_encoding() -> None:
    line = "a\u00e9\U0001F600b"  # 1 + 1 + 1 + 1 code points
    assert [code_units(line, e) for e in (UTF16, UTF8, UTF32)] == [5, 1 + 2 + 4 + 1, 4]
    # Units 2-3 are the emoji's surrogate pair: unit 3 (inside it) rounds up to "b" (column 3).
    assert [column_from_units(line, u) for u in range(7)] == [0, 1, 2, 3, 3, 4, 4]
    assert column_from_units(line, 7, UTF8) == 3


def test_ranges_follow_apply_edits_semantics_and_line_endings() -> None:
    text = "a\r\nb\U0001F600c\rd\n"
    model = TextModel(text)
    assert model.line_count == 4
    assert model.lsp_position(model.offset(Position(2, 2))) == types.Position(line=1, character=3)
    assert model.lsp_range(Position(9, 0), Position(9, 0)).start == types.Position(line=3, character=0)
    edit = model.text_edit(Edit(Position(3, 0), Position(3, 0), "x\n"))
    assert edit.new_text == "x\r\n"  # inserted newlines follow the file's newline
    assert apply_text_edits(text, [edit]) == "a\r\nb\U0001F600c\rx\r\nd\n"


@pytest.mark.parametrize("old,new", [
    ("a\nb\nc\n", "a\nB\nc\n"),
    ("a\nb\nc", "a\nb\nc\nd"),
    ("x\U0001F600\r\ny\r\n", "z\r\nx\U0001F600\r\ny\r\n"),
    ("one\ntwo\n", ""),
    ("", "new\n"),
])
def test_minimal_edits_round_trip(old: str, new: str) -> None:
    edits = minimal_edits(TextModel(old), new)
    assert apply_text_edits(old, edits) == new
    assert len(edits) == 1


def test_noqa_edit_is_refused_where_a_comment_would_change_the_code() -> None:
    text = 's = """\nclass Block(keras.layers.Layer):\n"""\n'
    d = Diagnostic("DLT201", "m", "x.py", Position(2, 6), Position(2, 11))
    assert noqa_edit(TextModel(text), d) is None
    # Already suppressed (bare noqa) or a parse error: nothing to add.
    assert noqa_edit(TextModel("x = 1  # noqa\n"), Diagnostic("DLT201", "m", "x.py", Position(1, 0),
                                                            Position(1, 1))) is None
    assert noqa_edit(TextModel("x = (\n"), Diagnostic("DLT000", "m", "x.py", Position(1, 0),
                                                     Position(1, 0))) is None
    edit = noqa_edit(TextModel("x = 1   \n"), Diagnostic("DLT201", "m", "x.py", Position(1, 0), Position(1, 1)))
    assert edit is not None and apply_text_edits("x = 1   \n", [edit]) == "x = 1  # noqa: DLT201\n"


def test_unsafe_fixes_are_titled_and_not_preferred(tmp_path: Path) -> None:
    """In process: the code-action builder on a lint result holding an unsafe and a safe fix."""
    from dlt_lint.diagnostics import Fix
    from dlt_lint.lsp import LintResult, create_server
    from pygls.workspace import Workspace

    server = create_server()
    server.protocol._workspace = Workspace(from_fs_path(str(tmp_path)), types.TextDocumentSyncKind.Full, [], UTF16)
    server.protocol.client_capabilities = types.ClientCapabilities()
    uri = from_fs_path(str(tmp_path / "u.py"))
    text = "x = 1\ny = 2\n"
    server.workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="python", version=3, text=text))
    server.open_uris.add(uri)
    risky = Diagnostic("DLT998", "risky", "u.py", Position(1, 0), Position(1, 1),
                       Fix("unsafe", "Rewrite x", (Edit(Position(1, 4), Position(1, 5), "2"),)))
    safe = Diagnostic("DLT999", "safe", "u.py", Position(2, 0), Position(2, 1),
                      Fix("safe", "Rewrite y", (Edit(Position(2, 4), Position(2, 5), "3"),)))
    server._results[uri] = LintResult(uri, text, str(tmp_path / "u.py"), LintConfig(root=tmp_path), "u", False,
                                      None, [risky, safe], True, None, fixed="x = 1\ny = 3\n")
    line0 = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=2))
    actions = asyncio.run(server.code_actions(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=line0,
        context=types.CodeActionContext(diagnostics=[]))))
    by_title = {a.title: a for a in actions}
    unsafe = by_title["Rewrite x (DLT998) (unsafe)"]
    assert unsafe.is_preferred is False
    assert apply_workspace_edit(text, uri, unsafe.edit) == "x = 2\ny = 2\n"
    assert "Suppress DLT998 with # noqa" in by_title
    assert not any("DLT999" in t for t in by_title)  # outside the requested range
    # Fix-all applies only the safe fix (the text fix_source produced).
    fix_all = [a for a in actions if a.kind == "source.fixAll.dlt-lint"]
    assert len(fix_all) == 1
    assert apply_workspace_edit(text, uri, fix_all[0].edit) == "x = 1\ny = 3\n"
    server.stop_worker()


def test_cli_server_subcommand_speaks_lsp(tmp_path: Path) -> None:
    """`dlt-lint server` is the same server, started through the command line."""
    async def scenario(s: Session) -> None:
        diags = await s.open("block.py", VIOLATION)
        assert [d.code for d in diags] == ["DLT201"]

    code = run_session(tmp_path, scenario, command=(sys.executable, "-m", "dlt_lint", "server"))
    assert code == 0
