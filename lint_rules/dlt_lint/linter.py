"""Linting one file: prefilter, parse once, one batched traversal, suppression, fixing."""

from __future__ import annotations

import ast
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Callable, Iterable, Sequence

from dlt_lint.astwalk import iter_child_nodes, walk
from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext, detect_newline
from dlt_lint.diagnostics import Diagnostic, Edit, Fix, Position
from dlt_lint.index import ModuleSummary, ProjectIndex, summarize
from dlt_lint.rule import Rule, all_rules
from dlt_lint.semantic import Semantic

PARSE_ERROR = "DLT000"
MAX_FIX_PASSES = 32

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,?\s*[A-Z]+[0-9]+)*))?", re.IGNORECASE)
# Files that cannot define a Keras class need no Keras-class rule.
_CLASS_HINT = re.compile(r"^\s*class\s", re.MULTILINE)


@dataclass
class ParsedFile:
    """A file parsed once: the tree, its name resolution and its project summary."""

    source: str
    tree: ast.Module
    sem: Semantic
    summary: ModuleSummary


def parse_source(source: str, filename: str = "<string>", module: str = "",
                 is_package: bool = False) -> ParsedFile:
    """Parse and summarise; raises SyntaxError / ValueError for unparsable input."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
        tree = ast.parse(source, filename=filename)
    sem = Semantic(tree, module or _module_from_filename(filename), is_package)
    summary = summarize(tree, sem, source, filename, is_package)
    return ParsedFile(source, tree, sem, summary)


def _module_from_filename(filename: str) -> str:
    stem = PurePath(filename).stem
    return stem if stem.isidentifier() else "_dlt_snippet"


def parse_error(filename: str, exc: BaseException) -> Diagnostic:
    """The DLT000 diagnostic for a file that cannot be parsed."""
    row = getattr(exc, "lineno", None) or 1
    col = max((getattr(exc, "offset", None) or 1) - 1, 0)
    msg = getattr(exc, "msg", None) or str(exc)
    return Diagnostic(PARSE_ERROR, f"Failed to parse file: {msg}", filename, Position(row, col),
                      Position(row, col), None)


def enabled_rules(config: LintConfig, filename: str | None = None,
                  only: Iterable[str] | None = None) -> list[type[Rule]]:
    rules = all_rules()
    out = []
    for code, rule in rules.items():
        if only is not None and code not in only:
            continue
        if config.is_enabled(code, rule.preview, filename):
            out.append(rule)
    return out


def _prefilter(rules: Sequence[type[Rule]], source: str) -> list[type[Rule]]:
    has_class = None
    out = []
    for rule in rules:
        if rule.needles and not any(n in source for n in rule.needles):
            continue
        if rule.keras_only:
            if has_class is None:
                has_class = _CLASS_HINT.search(source) is not None
            if not has_class:
                continue
        out.append(rule)
    return out


def run_rules(ctx: FileContext, rules: Sequence[type[Rule]]) -> list[Diagnostic]:
    """Instantiate ``rules`` and run them in one traversal of the tree."""
    instances = []
    for rule in rules:
        if rule.keras_only and not ctx.keras_classes:
            continue
        instances.append(rule(ctx))
    if not instances:
        return []
    visitors: dict[str, list[Callable]] = defaultdict(list)
    leavers: dict[str, list[Callable]] = defaultdict(list)
    for inst in instances:
        for attr in dir(type(inst)):
            if attr.startswith("visit_"):
                visitors[attr[6:]].append(getattr(inst, attr))
            elif attr.startswith("leave_"):
                leavers[attr[6:]].append(getattr(inst, attr))
    if visitors or leavers:
        _walk(ctx.tree, visitors, leavers)
    for inst in instances:
        finish = getattr(inst, "finish", None)
        if finish is not None:
            finish()
    return [d for inst in instances for d in inst.diagnostics]


def _walk(tree: ast.AST, visitors: dict[str, list[Callable]], leavers: dict[str, list[Callable]]) -> None:
    iter_children = iter_child_nodes
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, leaving = stack.pop()
        name = type(node).__name__
        if leaving:
            for fn in leavers.get(name, ()):
                fn(node)
            continue
        for fn in visitors.get(name, ()):
            fn(node)
        if name in leavers:
            stack.append((node, True))
        children = iter_children(node)
        for child in reversed(children):
            stack.append((child, False))


def noqa_codes(line: str) -> set[str] | None:
    """Codes suppressed on ``line``: None = nothing, empty set = everything (bare noqa)."""
    if "noqa" not in line.lower():
        return None
    m = _NOQA.search(line)
    if not m:
        return None
    codes = m.group("codes")
    if not codes:
        return set()
    return {c.upper() for c in re.findall(r"[A-Za-z]+[0-9]+", codes)}


def suppress(diagnostics: list[Diagnostic], lines: list[str]) -> list[Diagnostic]:
    out = []
    for d in diagnostics:
        line = lines[d.start.row - 1] if 0 < d.start.row <= len(lines) else ""
        codes = noqa_codes(line)
        if codes is None or (codes and d.code not in codes):
            out.append(d)
    return out


def lint_source(source: str, filename: str = "<string>", config: LintConfig | None = None,
                project: ProjectIndex | None = None, module: str = "", is_package: bool = False,
                rules: Sequence[type[Rule]] | None = None, parsed: ParsedFile | None = None) -> list[Diagnostic]:
    """Lint one file's text. Never raises for bad input: a parse failure is a DLT000."""
    config = config or LintConfig()
    if rules is None:
        rules = enabled_rules(config, filename)
    else:
        rules = [r for r in rules if not config.file_ignores(r.code, filename)]
    candidates = _prefilter(rules, source)
    if not candidates and parsed is None and not config.is_enabled(PARSE_ERROR, False, filename):
        return []
    if parsed is None:
        try:
            parsed = parse_source(source, filename, module, is_package)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            if config.is_enabled(PARSE_ERROR, False, filename):
                return [parse_error(filename, exc)]
            return []
    if not candidates:
        return []
    project = _with_current(project, parsed.summary, config)
    ctx = FileContext(source, parsed.tree, filename, parsed.sem, project, config)
    diagnostics = run_rules(ctx, candidates)
    diagnostics = suppress(diagnostics, ctx.lines)
    diagnostics.sort(key=Diagnostic.sort_key)
    return diagnostics


def _with_current(project: ProjectIndex | None, summary: ModuleSummary, config: LintConfig) -> ProjectIndex:
    extra = config.option("extra-keras-bases", []) or []
    if project is None:
        return ProjectIndex([summary], extra_bases=extra)
    if not summary.module or project.modules.get(summary.module) is summary:
        return project
    # The file's own facts come from the text being linted (the index may hold an older
    # summary of it); the copy keeps the index's class so engine bookkeeping survives.
    return project.with_module(summary, extra)


# --------------------------------------------------------------------------- fixing
def _offsets(source: str) -> list[int]:
    starts = [0]
    for m in re.finditer(r"\r\n|\r|\n", source):
        starts.append(m.end())
    return starts


def _offset(starts: list[int], source: str, pos: Position) -> int:
    if pos.row - 1 >= len(starts):
        return len(source)
    return min(starts[pos.row - 1] + pos.column, len(source))


def apply_edits(source: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits; ``\\n`` in inserted text follows the file's newline."""
    newline = detect_newline(source)
    starts = _offsets(source)
    spans = sorted(((_offset(starts, source, e.start), _offset(starts, source, e.end), e.content)
                    for e in edits), key=lambda t: (t[0], t[1]))
    out: list[str] = []
    cursor = 0
    for start, end, content in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(source[cursor:start])
        out.append(content.replace("\n", newline) if newline != "\n" else content)
        cursor = end
    out.append(source[cursor:])
    return "".join(out)


def select_fixes(diagnostics: Iterable[Diagnostic], source: str, unsafe: bool = False) -> list[Fix]:
    """Fixes that can be applied together in one pass.

    Fixes are computed on one snapshot of the file, so two fixes that edit different text can
    still disagree (a parameter rename and a new ``get_config`` that lists the old name). A fix
    therefore claims more than its edits: the span from its first to its last edit and, for
    rules whose ``fix_scope`` is "class", the whole top-level class around each edit. Fixes
    whose claims meet wait for a later pass, where they are recomputed on the updated text.
    Import insertions claim only themselves: they add a line at the top and commute.
    """
    starts = _offsets(source)
    rules = all_rules()
    classes: list[tuple[int, int]] | None = None
    taken: list[tuple[int, int]] = []
    chosen: list[Fix] = []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        fix = d.fix
        if fix is None or (fix.applicability == "unsafe" and not unsafe) or not fix.edits:
            continue
        spans = [(_offset(starts, source, e.start), _offset(starts, source, e.end)) for e in fix.edits]
        if any(_overlaps(s, t) for i, s in enumerate(spans) for t in spans[i + 1:]):
            continue
        body = [s for s, e in zip(spans, fix.edits) if not _is_import_insertion(e)] or spans
        claim = [(min(s[0] for s in body), max(s[1] for s in body))]
        rule = rules.get(d.code)
        if rule is None or rule.fix_scope == "class":
            if classes is None:
                classes = _class_spans(source, starts)
            claim += [c for c in classes if any(_overlaps(s, c) for s in body)]
        claim += [s for s, e in zip(spans, fix.edits) if _is_import_insertion(e)]
        if any(_overlaps(s, t) for s in claim for t in taken):
            continue  # applied in a later pass, never dropped
        taken.extend(claim)
        chosen.append(fix)
    return chosen


def _class_spans(source: str, starts: list[int]) -> list[tuple[int, int]]:
    """Offsets of every top-level class (decorators included)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [(0, len(source))]
    out = []
    for node in walk(tree):
        if isinstance(node, ast.ClassDef):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            end_row = node.end_lineno or node.lineno
            end = starts[end_row] if end_row < len(starts) else len(source)
            out.append((starts[first - 1], end))
    # Keep only outermost classes.
    out.sort()
    outer: list[tuple[int, int]] = []
    for span in out:
        if outer and span[0] < outer[-1][1]:
            continue
        outer.append(span)
    return outer


def _is_import_insertion(edit: Edit) -> bool:
    return (edit.start == edit.end and edit.start.column == 0
            and _IMPORT_LINE.match(edit.content) is not None)


_IMPORT_LINE = re.compile(r"(?:import|from)\s+[\w.]+(?:\s+import\s+[\w, ]+)?(?:\s+as\s+\w+)?\n?$")


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # Spans that merely touch conflict too: two insertions at one point have no defined order.
    return a[0] <= b[1] and b[0] <= a[1]


@dataclass
class FixResult:
    source: str
    fixed: int  # number of fixes applied
    remaining: list[Diagnostic]  # diagnostics left after fixing
    error: str | None = None  # why the fixed result was discarded
    codes: list[str] = field(default_factory=list)  # code of each applied fix


def fix_source(source: str, filename: str = "<string>", config: LintConfig | None = None,
               project: ProjectIndex | None = None, module: str = "", is_package: bool = False,
               unsafe: bool = False, rules: Sequence[type[Rule]] | None = None) -> FixResult:
    """Lint and fix repeatedly until nothing fixable remains. The result must parse, otherwise
    the original text is kept and ``error`` says why."""
    config = config or LintConfig()
    current = source
    fixed = 0
    applied: list[str] = []
    diagnostics = lint_source(current, filename, config, project, module, is_package, rules)
    for _ in range(MAX_FIX_PASSES):
        fixes = select_fixes(diagnostics, current, unsafe)
        if not fixes:
            break
        candidate = apply_edits(current, [e for f in fixes for e in f.edits])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(candidate, filename=filename)
        except (SyntaxError, ValueError) as exc:
            codes = sorted({d.code for d in diagnostics if d.fix in fixes})
            return FixResult(source, 0, lint_source(source, filename, config, project, module,
                                                    is_package, rules),
                             f"fix for {', '.join(codes)} produced invalid code ({exc}); file left unchanged")
        current = candidate
        fixed += len(fixes)
        by_fix = {id(d.fix): d.code for d in diagnostics if d.fix is not None}
        applied.extend(by_fix.get(id(f), "?") for f in fixes)
        diagnostics = lint_source(current, filename, config, project, module, is_package, rules)
    return FixResult(current, fixed, diagnostics, codes=applied)

