"""Text and position conversions between dlt-lint and the Language Server Protocol.

dlt-lint positions are a 1-based row and a 0-based column counted in code points; LSP
positions are a 0-based line and a character offset counted in the negotiated position
encoding (UTF-16 code units unless the client asked for UTF-8 or UTF-32). Both sides agree
that a line ends at ``\\r\\n``, ``\\r`` or ``\\n``, and nothing else.

Everything here is pure (no server state) so it can be tested on its own.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import re
import warnings
from dataclasses import dataclass

from lsprotocol import types

from dlt_lint.context import detect_newline
from dlt_lint.diagnostics import Diagnostic, Edit, Position
from dlt_lint.linter import PARSE_ERROR, noqa_codes

UTF8 = types.PositionEncodingKind.Utf8
UTF16 = types.PositionEncodingKind.Utf16
UTF32 = types.PositionEncodingKind.Utf32

_LINE_END = re.compile(r"\r\n|\r|\n")
# A noqa comment with a list of codes (the shape the linter accepts).
_NOQA_LIST = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,?\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)


def code_units(text: str, encoding: str = UTF16) -> int:
    """Length of ``text`` in the code units of ``encoding``."""
    if text.isascii() or encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    # UTF-16: characters outside the Basic Multilingual Plane take two units.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def column_from_units(line: str, units: int, encoding: str = UTF16) -> int:
    """Code-point column of the character that starts ``units`` code units into ``line``.

    A position inside a character (the middle of a surrogate pair or a UTF-8 sequence) rounds
    up to the next character; positions past the end clamp to the end of the line.
    """
    if units <= 0:
        return 0
    if line.isascii() or encoding == UTF32:
        return min(units, len(line))
    seen = 0
    for i, ch in enumerate(line):
        if seen >= units:
            return i
        seen += code_units(ch, encoding)
    return len(line)


@dataclass
class TextModel:
    """A document's text with its line starts, for offset/position conversions."""

    text: str
    encoding: str = UTF16

    def __post_init__(self) -> None:
        """Compute the line starts and the file's newline."""
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(self.text)]
        self.newline = detect_newline(self.text)

    # ------------------------------------------------------------------ lines
    def line(self, index: int) -> str:
        """Line ``index`` (0-based) without its line terminator."""
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text)
        return _LINE_END.sub("", self.text[start:end], count=1) if end > start else ""

    @property
    def line_count(self) -> int:
        """Number of lines as an editor counts them (a trailing newline opens an empty line)."""
        return len(self.starts)

    # ------------------------------------------------------------------ dlt-lint side
    def offset(self, pos: Position) -> int:
        """Code-point offset of a dlt-lint position, exactly as ``linter.apply_edits`` reads it."""
        if pos.row - 1 >= len(self.starts):
            return len(self.text)
        return min(self.starts[max(pos.row - 1, 0)] + max(pos.column, 0), len(self.text))

    # ------------------------------------------------------------------ LSP side
    def lsp_position(self, offset: int) -> types.Position:
        """LSP position of a code-point offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[index]
        return types.Position(line=index, character=code_units(self.text[start:offset], self.encoding))

    def offset_of(self, pos: types.Position) -> int:
        """Code-point offset of an LSP position (clamped into the document)."""
        if pos.line < 0:
            return 0
        if pos.line >= len(self.starts):
            return len(self.text)
        line = self.line(pos.line)
        return self.starts[pos.line] + column_from_units(line, pos.character, self.encoding)

    def lsp_range(self, start: Position, end: Position) -> types.Range:
        """LSP range of a dlt-lint (start, end) pair."""
        a, b = self.offset(start), self.offset(end)
        return types.Range(start=self.lsp_position(a), end=self.lsp_position(max(a, b)))

    def text_edit(self, edit: Edit) -> types.TextEdit:
        """The LSP text edit of a dlt-lint edit (``\\n`` in the content follows the file's newline,
        as in ``linter.apply_edits``)."""
        content = edit.content.replace("\n", self.newline) if self.newline != "\n" else edit.content
        return types.TextEdit(range=self.lsp_range(edit.start, edit.end), new_text=content)

    def diagnostic_range(self, diagnostic: Diagnostic) -> types.Range:
        """LSP range of a finding."""
        return self.lsp_range(diagnostic.start, diagnostic.end)


# ---------------------------------------------------------------------- diagnostics
def to_lsp_diagnostic(model: TextModel, diagnostic: Diagnostic, source: str = "dlt-lint") -> types.Diagnostic:
    """The LSP form of one finding: Error for a parse failure, Warning for rule findings."""
    severity = types.DiagnosticSeverity.Error if diagnostic.code == PARSE_ERROR else types.DiagnosticSeverity.Warning
    description = types.CodeDescription(href=diagnostic.url) if diagnostic.url else None
    return types.Diagnostic(
        range=model.diagnostic_range(diagnostic),
        message=diagnostic.message,
        severity=severity,
        code=diagnostic.code,
        code_description=description,
        source=source,
        data={"fixable": diagnostic.fix is not None,
              "applicability": diagnostic.fix.applicability if diagnostic.fix else None},
    )


# ---------------------------------------------------------------------- edits
def minimal_edits(model: TextModel, new_text: str) -> list[types.TextEdit]:
    """Line-granular LSP edits turning ``model.text`` into ``new_text`` (empty when equal).

    All edits refer to the original document and never overlap, as LSP requires.
    """
    if new_text == model.text:
        return []
    old_lines = _split_keep_ends(model.text)
    new_lines = _split_keep_ends(new_text)
    old_starts = [0]
    for line in old_lines:
        old_starts.append(old_starts[-1] + len(line))
    edits = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = old_starts[i1], old_starts[i2]
        edits.append(types.TextEdit(range=types.Range(start=model.lsp_position(start), end=model.lsp_position(end)),
                                    new_text="".join(new_lines[j1:j2])))
    return edits


def _split_keep_ends(text: str) -> list[str]:
    out, cursor = [], 0
    for m in _LINE_END.finditer(text):
        out.append(text[cursor:m.end()])
        cursor = m.end()
    if cursor < len(text):
        out.append(text[cursor:])
    return out


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str = UTF16) -> str:
    """Apply LSP edits (all relative to ``text``) the way an editor does."""
    model = TextModel(text, encoding)
    spans = sorted(((model.offset_of(e.range.start), model.offset_of(e.range.end), e.new_text) for e in edits),
                   key=lambda t: (t[0], t[1]))
    out, cursor = [], 0
    for start, end, new in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(text[cursor:start])
        out.append(new)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def noqa_edit(model: TextModel, diagnostic: Diagnostic) -> types.TextEdit | None:
    """An edit suppressing ``diagnostic`` with ``# noqa: CODE`` on its line, merged into an
    existing ``# noqa: X`` list; None when a comment cannot go there without changing the code
    (the end of the line is inside a string, or after a line continuation)."""
    if diagnostic.code == PARSE_ERROR:
        return None
    row = diagnostic.start.row
    if not 0 < row <= len(model.starts):
        return None
    line = model.line(row - 1)
    existing = noqa_codes(line)
    if existing is not None and (not existing or diagnostic.code in existing):
        return None  # already suppressed (a bare noqa suppresses everything)
    match = _NOQA_LIST.search(line) if existing else None
    if match is not None:
        codes = match.group("codes").rstrip()
        start_col = match.start("codes")
        end_col = start_col + len(codes)
        new_text = f"{codes}, {diagnostic.code}"
    else:
        start_col = len(line.rstrip())
        end_col = len(line)
        new_text = f"  # noqa: {diagnostic.code}"
    new_line = line[:start_col] + new_text + line[end_col:]
    if diagnostic.code not in (noqa_codes(new_line) or {diagnostic.code}):
        return None
    edit = Edit(Position(row, start_col), Position(row, end_col), new_text)
    lsp_edit = model.text_edit(edit)
    if not _same_code(model.text, apply_text_edits(model.text, [lsp_edit], model.encoding)):
        return None
    return lsp_edit


def _same_code(before: str, after: str) -> bool:
    """True when ``after`` parses to the same tree as ``before`` (only comments changed)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
