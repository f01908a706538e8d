"""Output formats: full (source line with a caret), concise, json, sarif and github."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Sequence

from dlt_lint import __version__
from dlt_lint.diagnostics import Diagnostic

FORMATS = ("full", "concise", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def is_fixable(d: Diagnostic, unsafe: bool = False) -> bool:
    """The diagnostic carries a fix that ``--fix`` (with ``--unsafe-fixes`` when ``unsafe``)
    applies."""
    return d.fix is not None and bool(d.fix.edits) and (unsafe or d.fix.applicability == "safe")


def _marker(d: Diagnostic, unsafe: bool) -> str:
    return "[*] " if is_fixable(d, unsafe) else ""


def concise_line(d: Diagnostic, unsafe: bool = False) -> str:
    """``path:row:col: CODE [*] message`` (column 1-based)."""
    return f"{d.filename}:{d.start.row}:{d.start.column + 1}: {d.code} {_marker(d, unsafe)}{d.message}"


def format_concise(diags: Sequence[Diagnostic], unsafe: bool = False) -> str:
    return "".join(concise_line(d, unsafe) + "\n" for d in diags)


def format_full(diags: Sequence[Diagnostic], sources: dict[str, list[str]], unsafe: bool = False) -> str:
    """ruff-like: the header line, the offending source line with the span underlined, and the
    fix's title."""
    out: list[str] = []
    append = out.append
    for d in diags:
        head = concise_line(d, unsafe)
        lines = sources.get(d.filename)
        row = d.start.row
        if not lines or not 0 < row <= len(lines):
            append(f"{head}\n\n")
            continue
        text = lines[row - 1].rstrip("\r\n").expandtabs(1)
        start = min(d.start.column, len(text))
        end = min(d.end.column, len(text)) if d.end.row == row else len(text)
        end = max(end, start + 1)
        gutter = " " * len(str(row))
        help_line = ""
        if d.fix is not None:
            label = "help" if is_fixable(d, unsafe) else "help (unsafe fix, use --unsafe-fixes)"
            help_line = f"{gutter} = {label}: {d.fix.message}\n"
        append(f"{head}\n{gutter} |\n{row} | {text}\n{gutter} | {' ' * start}{'^' * (end - start)} "
               f"{d.code}\n{gutter} |\n{help_line}\n")
    return "".join(out)


def format_json(diags: Sequence[Diagnostic]) -> str:
    """A JSON array in the RULES.md schema, one object per line (``indent=`` would switch the
    encoder to its slow pure-Python path)."""
    if not diags:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(d.to_json(), ensure_ascii=False) for d in diags) + "\n]\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(diags: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands (annotations)."""
    out = []
    for d in diags:
        props = ",".join([
            f"file={_escape_property(d.filename)}",
            f"line={d.start.row}",
            f"col={d.start.column + 1}",
            f"endLine={d.end.row}",
            f"endColumn={d.end.column + 1}",
            f"title={_escape_property(d.code)}",
        ])
        out.append(f"::error {props}::{_escape_data(d.code + ' ' + d.message)}\n")
    return "".join(out)


def _uri(filename: str) -> str:
    path = Path(filename)
    if path.is_absolute():
        return path.as_uri()
    return filename.replace(os.sep, "/")


def format_sarif(diags: Sequence[Diagnostic], rules: dict[str, Any]) -> str:
    """A SARIF 2.1.0 log with one run; ``rules`` maps code -> rule class (or None)."""
    codes = sorted(set(rules) | {d.code for d in diags})
    descriptors = []
    for code in codes:
        rule = rules.get(code)
        summary = getattr(rule, "summary", "") or code
        doc = rule.documentation() if rule is not None and hasattr(rule, "documentation") else summary
        descriptor: dict[str, Any] = {
            "id": code,
            "name": getattr(rule, "name", "") or code,
            "shortDescription": {"text": summary},
            "fullDescription": {"text": doc or summary},
            "help": {"text": doc or summary},
            "properties": {"fix": getattr(rule, "fix_availability", "none"),
                           "preview": bool(getattr(rule, "preview", False))},
        }
        url = rule.url() if rule is not None and hasattr(rule, "url") else None
        if url:
            descriptor["helpUri"] = url
        descriptors.append(descriptor)
    index_of = {code: i for i, code in enumerate(codes)}
    results = []
    for d in diags:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index_of[d.code],
            "level": "error",
            "message": {"text": d.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(d.filename)},
                    "region": {
                        "startLine": d.start.row,
                        "startColumn": d.start.column + 1,
                        "endLine": d.end.row,
                        "endColumn": d.end.column + 1,
                    },
                },
            }],
        }
        if d.fix is not None:
            result["properties"] = {"fixApplicability": d.fix.applicability, "fixMessage": d.fix.message}
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dlt-lint",
                "version": __version__,
                "rules": descriptors,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def statistics(diags: Iterable[Diagnostic], rules: dict[str, Any], unsafe: bool = False) -> list[dict[str, Any]]:
    """Per-code counts, most frequent first."""
    counts = Counter(d.code for d in diags)
    fixable = Counter(d.code for d in diags if is_fixable(d, unsafe))
    out = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = rules.get(code)
        out.append({"code": code, "name": getattr(rule, "name", "") or "", "count": count,
                    "fixable": fixable[code]})
    return out


def format_statistics(stats: list[dict[str, Any]]) -> str:
    if not stats:
        return ""
    width = max(len(str(s["count"])) for s in stats)
    lines = []
    for s in stats:
        mark = "[*]" if s["fixable"] == s["count"] else ("[-]" if s["fixable"] else "   ")
        lines.append(f"{s['count']:>{width}}\t{s['code']}\t{mark} {s['name']}".rstrip() + "\n")
    return "".join(lines)
