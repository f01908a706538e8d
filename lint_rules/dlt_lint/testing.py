"""Run a rule's embedded VALID / INVALID examples (used by the test suite and by rule authors)."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

from dlt_lint.config import LintConfig
from dlt_lint.linter import fix_source, lint_source
from dlt_lint.rule import Invalid, Rule, Valid


def _config(options: dict) -> LintConfig:
    cfg = LintConfig(options=dict(options))
    cfg.preview = True
    cfg.select = ["ALL"]
    return cfg


def _module(path: str) -> str:
    p = PurePosixPath(path)
    parts = list(p.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def check_valid(rule: type[Rule], example: str | Valid) -> None:
    ex = Valid(example) if isinstance(example, str) else example
    code = textwrap.dedent(ex.code)
    found = lint_source(code, ex.path, _config(ex.options), module=_module(ex.path),
                        is_package=ex.path.endswith("__init__.py"), rules=[rule])
    assert not found, f"{rule.code} reported VALID code:\n{code}\n-> {[d.message for d in found]}"


def check_invalid(rule: type[Rule], ex: Invalid) -> None:
    code = textwrap.dedent(ex.code)
    cfg = _config(ex.options)
    module = _module(ex.path)
    is_pkg = ex.path.endswith("__init__.py")
    found = lint_source(code, ex.path, cfg, module=module, is_package=is_pkg, rules=[rule])
    assert len(found) == ex.count, (
        f"{rule.code}: expected {ex.count} diagnostic(s), got {len(found)} for:\n{code}\n"
        f"-> {[(d.start.row, d.message) for d in found]}")
    if ex.message_contains:
        assert any(ex.message_contains in d.message for d in found), [d.message for d in found]
    if ex.expected_fixed is None:
        return
    expected = textwrap.dedent(ex.expected_fixed)
    result = fix_source(code, ex.path, cfg, module=module, is_package=is_pkg,
                        unsafe=ex.unsafe_fixes, rules=[rule])
    assert result.error is None, result.error
    assert result.source == expected, (
        f"{rule.code}: fixed code differs.\n--- got ---\n{result.source}\n--- expected ---\n{expected}")
    again = fix_source(result.source, ex.path, cfg, module=module, is_package=is_pkg,
                       unsafe=ex.unsafe_fixes, rules=[rule])
    assert again.source == result.source, f"{rule.code}: fixing twice differs from fixing once"
