"""Everything a rule may ask about the file it is checking."""

from __future__ import annotations

import ast
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dlt_lint import keras_facts as kf
from dlt_lint.astwalk import statements
from dlt_lint.diagnostics import Edit, Position
from dlt_lint.semantic import Semantic, is_keras_base

if TYPE_CHECKING:
    from dlt_lint.config import LintConfig
    from dlt_lint.index import ProjectIndex

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(source: str) -> list[str]:
    """Physical lines as Python's tokenizer counts them (``\\r\\n``, ``\\r`` or ``\\n``)."""
    if "\r" not in source:
        return source.split("\n")  # same result, without the regular expression
    return _LINE_BREAK.split(source)


def detect_newline(source: str) -> str:
    m = _LINE_BREAK.search(source)
    return m.group(0) if m else "\n"


class FileContext:
    """A parsed file plus the project and configuration it is linted with."""

    def __init__(self, source: str, tree: ast.Module, filename: str, sem: Semantic,
                 project: "ProjectIndex", config: "LintConfig") -> None:
        self.source = source
        self.tree = tree
        self.filename = filename
        self.sem = sem
        self.module = sem.module
        self.project = project
        self.config = config
        self.lines = split_lines(source)
        self._keras: dict[int, bool] = {}
        self._attention: dict[int, bool] = {}

    # ----------------------------------------------------------------- positions
    def pos(self, lineno: int, col_offset: int) -> Position:
        """Position from an ``ast`` line number and UTF-8 byte column."""
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        if line.isascii():
            return Position(lineno, col_offset)
        return Position(lineno, len(line.encode("utf-8")[:col_offset].decode("utf-8", "ignore")))

    def start(self, node: ast.AST) -> Position:
        return self.pos(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> Position:
        return self.pos(node.end_lineno or node.lineno, node.end_col_offset or node.col_offset)

    def name_range(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Position, Position]:
        """Range of the identifier after ``class`` / ``def``."""
        line = self.lines[node.lineno - 1]
        m = re.search(r"\b(?:class|def)\s+(" + re.escape(node.name) + r")\b", line)
        if m:
            return Position(node.lineno, m.start(1)), Position(node.lineno, m.end(1))
        return self.start(node), self.start(node)

    def text(self, node: ast.AST) -> str:
        seg = kf.source_segment(self.source, node)
        return seg if seg is not None else ast.unparse(node)

    def indent_of(self, lineno: int) -> str:
        line = self.lines[lineno - 1]
        return line[: len(line) - len(line.lstrip())]

    def body_indent(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        return self.indent_of(node.body[0].lineno) if node.body else self.indent_of(node.lineno) + "    "

    # ----------------------------------------------------------------- edits
    def replace(self, node: ast.AST, content: str) -> Edit:
        return Edit(self.start(node), self.end(node), content)

    def insert_at(self, position: Position, content: str) -> Edit:
        return Edit(position, position, content)

    def insert_line_before(self, lineno: int, content: str) -> Edit:
        """Insert whole line(s) ``content`` (no trailing newline needed) before ``lineno``."""
        return Edit(Position(lineno, 0), Position(lineno, 0), content.rstrip("\n") + "\n")

    def insert_line_after(self, lineno: int, content: str) -> Edit:
        """Insert whole line(s) after physical line ``lineno``."""
        if lineno >= len(self.lines):
            end = Position(len(self.lines), len(self.lines[-1]))
            prefix = "" if self.lines[-1] == "" else "\n"
            return Edit(end, end, prefix + content.rstrip("\n") + ("\n" if prefix else ""))
        return Edit(Position(lineno + 1, 0), Position(lineno + 1, 0), content.rstrip("\n") + "\n")

    def last_line(self, node: ast.AST) -> int:
        return node.end_lineno or node.lineno

    # ----------------------------------------------------------------- classes
    def keras_class(self, node: ast.ClassDef) -> bool:
        """A Keras class: derives (in this file or across the project) from Layer / Model."""
        key = id(node)
        if key not in self._keras:
            self._keras[key] = False
            result = False
            for base in node.bases:
                q = self.sem.resolve(base)
                if q is None:
                    continue
                if is_keras_base(q) or self.project.is_keras(q):
                    result = True
                    break
                local = self._local_class(base)
                if local is not None and local is not node and self.keras_class(local):
                    result = True
                    break
            self._keras[key] = result
        return self._keras[key]

    def _local_class(self, base: ast.expr) -> ast.ClassDef | None:
        if isinstance(base, ast.Name):
            return self.classes_by_name.get(base.id)
        return None

    @cached_property
    def class_defs(self) -> list[ast.ClassDef]:
        """Every class statement of the file, nested ones included (``ast.walk`` order)."""
        return [n for n in statements(self.tree) if isinstance(n, ast.ClassDef)]

    @cached_property
    def classes_by_name(self) -> dict[str, ast.ClassDef]:
        return {n.name: n for n in self.class_defs}

    @cached_property
    def keras_classes(self) -> list[ast.ClassDef]:
        return [n for n in self.class_defs if self.keras_class(n)]

    def attention_class(self, node: ast.ClassDef) -> bool:
        """A Keras class named ``*Attention*``, in an ``attention`` module, or registered in an
        attention factory registry."""
        key = id(node)
        if key not in self._attention:
            registered = self.sem.qualify_local(node.name) in self.project_attention_classes
            self._attention[key] = self.keras_class(node) and (
                "Attention" in node.name
                or "attention" in self.module.lower()
                or registered
            )
        return self._attention[key]

    @cached_property
    def project_attention_classes(self) -> frozenset[str]:
        """Qualified names of classes named by an attention factory registry (if collected)."""
        names: set[str] = set()
        for _summary, facts in self.project.extras("attention-registry"):
            names.update(facts.get("classes", ()))
        return frozenset(names)

    def abstract_class(self, node: ast.ClassDef) -> bool:
        return kf.is_abstract(node, self.sem)

    # ----------------------------------------------------------------- config
    def option(self, key: str, default: Any = None) -> Any:
        """A rule option from ``[tool.dlt-lint]`` (dotted keys, e.g. ``naming.allow-channels``)."""
        return self.config.option(key, default)


def _import_anchor(tree: ast.Module) -> int:
    """Line before which a new top-level import goes (1-based): right after the file's leading
    imports (as ruff adds one), else after the module docstring and any ``from __future__``
    imports."""
    line = 1
    seen_import = False
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                and isinstance(stmt.value.value, str) and stmt is tree.body[0]:
            line = (stmt.end_lineno or stmt.lineno) + 1
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            line = (stmt.end_lineno or stmt.lineno) + 1
            seen_import = True
            continue
        if seen_import or line > 1:
            return line
        return stmt.lineno
    return line


def import_edit(ctx: FileContext, module: str, name: str | None = None) -> tuple[Edit | None, str | None]:
    """An edit that makes ``module`` (or ``module.name``) available, and the local name to use.

    Returns ``(None, local)`` when the file already binds it, ``(None, None)`` when the natural
    local name is taken by something else (the caller should then not offer the fix).
    """
    target = f"{module}.{name}" if name else module
    for local, qual in ctx.sem.imports.names.items():
        if qual == target and (name or "." not in module):
            return None, local
    local = name or module.split(".")[0]
    if local in ctx.sem.imports.names or local in ctx.sem.local_defs:
        return None, None
    text = f"from {module} import {name}" if name else f"import {module}"
    anchor = _import_anchor(ctx.tree)
    if anchor > len(ctx.lines):
        return ctx.insert_line_after(len(ctx.lines), text), local
    return ctx.insert_line_before(anchor, text), local


FileContext.import_edit = import_edit  # type: ignore[attr-defined]
