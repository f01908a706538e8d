"""Fixes you can trust: encodings, BOM, line endings, atomic writes, no broken output."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest
from dlt_lint.rule import Rule

from tests.lint.engine_helpers import (
    REGISTERED,
    UNREGISTERED,
    cli,
    registered_rules,
    write,
)

pytestmark = pytest.mark.usefixtures("pinned_tool")


@pytest.fixture
def pinned_tool(monkeypatch):
    monkeypatch.setenv("DLT_LINT_TOOL_FINGERPRINT", "tests")


def fix(root: Path, capsys, *args: str) -> tuple[int, str, str]:
    return cli([".", "--fix", "--output-format", "concise", *args], root, capsys)


def test_bom_and_crlf_are_kept(tmp_path, capsys):
    root = write(tmp_path / "p", {})
    data = b"\xef\xbb\xbf" + UNREGISTERED.replace("\n", "\r\n").encode()
    (root / "m.py").write_bytes(data)
    code, out, err = fix(root, capsys)
    assert code == 0, out + err
    assert (root / "m.py").read_bytes() == b"\xef\xbb\xbf" + REGISTERED.replace("\n", "\r\n").encode()


def test_coding_cookie_encoding_is_kept(tmp_path, capsys):
    root = write(tmp_path / "p", {})
    text = "# -*- coding: latin-1 -*-\n" + UNREGISTERED.replace("pass", "name = 'caf\u00e9'")
    (root / "m.py").write_bytes(text.encode("latin-1"))
    code, out, err = fix(root, capsys)
    assert code == 0, out + err
    result = (root / "m.py").read_bytes()
    assert b"caf\xe9" in result  # still latin-1, not UTF-8
    assert result.decode("latin-1") == "# -*- coding: latin-1 -*-\n" + REGISTERED.replace("pass", "name = 'caf\u00e9'")


def test_file_mode_is_kept_and_no_temporary_files_remain(tmp_path, capsys):
    root = write(tmp_path / "p", {"m.py": UNREGISTERED})
    os.chmod(root / "m.py", 0o640)
    fix(root, capsys)
    assert stat.S_IMODE((root / "m.py").stat().st_mode) == 0o640
    assert (root / "m.py").read_text() == REGISTERED
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".dlt_lint")) == ["m.py", "pyproject.toml"]


def test_symlinked_file_is_fixed_through_the_link(tmp_path, capsys):
    root = write(tmp_path / "p", {"real/m.py": UNREGISTERED, "src/__init__.py": ""})
    os.symlink(root / "real" / "m.py", root / "src" / "link.py")
    code, out, err = cli(["src", "--fix"], root, capsys)
    assert code == 0, out + err
    assert (root / "src" / "link.py").is_symlink()
    assert (root / "real" / "m.py").read_text() == REGISTERED


def test_unchanged_files_are_not_touched(tmp_path, capsys):
    root = write(tmp_path / "p", {"clean.py": REGISTERED, "dirty.py": UNREGISTERED})
    before = (root / "clean.py").stat().st_mtime_ns, (root / "clean.py").stat().st_ino
    fix(root, capsys)
    assert ((root / "clean.py").stat().st_mtime_ns, (root / "clean.py").stat().st_ino) == before


def test_second_fix_changes_nothing(tmp_path, capsys):
    root = write(tmp_path / "p", {"a.py": UNREGISTERED, "b.py": UNREGISTERED.replace("Block", "Other")})
    fix(root, capsys)
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.glob("*.py")}
    code, out, _ = fix(root, capsys, "--no-cache")
    assert code == 0 and "All checks passed!" in out
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.glob("*.py")} == snapshot


class BreaksCode(Rule):
    """Test rule whose fix produces code that does not parse."""

    code = ""
    name = "breaks-code"
    summary = "test"
    fix_availability = "safe"

    def visit_Module(self, node: ast.Module) -> None:
        edit = self.ctx.insert_at(self.ctx.pos(1, 0), "def (:\n")
        self.report((self.ctx.pos(1, 0), self.ctx.pos(1, 0)), "will break", self.fix("Break it", [edit]))


def test_fix_producing_invalid_code_is_not_written(tmp_path, capsys):
    root = write(tmp_path / "p", {"m.py": REGISTERED, "n.py": UNREGISTERED},
                 pyproject='[tool.dlt-lint]\nselect = ["DLT201", "DLT993"]\n')
    with registered_rules(("DLT993", BreaksCode)):
        mtime = (root / "m.py").stat().st_mtime_ns
        code, out, err = fix(root, capsys)
    assert code == 1
    assert (root / "m.py").read_text() == REGISTERED and (root / "m.py").stat().st_mtime_ns == mtime
    assert (root / "n.py").read_text() == UNREGISTERED  # its DLT201 fix is discarded with the rest
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert any(w.startswith("warning: m.py: fix for DLT993 produced invalid code") for w in warnings)
    assert all("file left unchanged" in w for w in warnings)
    assert "m.py:1:1: DLT993" in out


class InsertA(Rule):
    """Test rule: wants ``# a`` as the first line."""

    code = ""
    name = "insert-a"
    summary = "test"
    fix_availability = "safe"
    marker = "# a"

    def visit_Module(self, node: ast.Module) -> None:
        if self.marker not in self.ctx.lines:
            edit = self.ctx.insert_line_before(1, self.marker)
            self.report((self.ctx.pos(1, 0), self.ctx.pos(1, 0)), "missing " + self.marker,
                        self.fix("Insert " + self.marker, [edit]))


class InsertB(InsertA):
    """Test rule: wants ``# b`` as the first line (its fix overlaps InsertA's)."""

    code = ""
    name = "insert-b"
    marker = "# b"


def test_overlapping_fixes_are_applied_in_later_passes(tmp_path, capsys):
    root = write(tmp_path / "p", {"m.py": "x = 1\n"}, pyproject='[tool.dlt-lint]\nselect = ["DLT994", "DLT995"]\n')
    with registered_rules(("DLT994", InsertA), ("DLT995", InsertB)):
        code, out, err = fix(root, capsys, "--show-fixes")
        assert code == 0, out + err
        assert (root / "m.py").read_text() == "# b\n# a\nx = 1\n"
        assert "Found 2 errors (2 fixed, 0 remaining)." in out
        code, out, _ = fix(root, capsys)
        assert code == 0 and (root / "m.py").read_text() == "# b\n# a\nx = 1\n"


class InsertEuro(InsertA):
    """Test rule inserting a character latin-1 cannot encode."""

    code = ""
    name = "insert-euro"
    marker = "# \u20ac"


def test_fix_that_cannot_be_encoded_is_not_written(tmp_path, capsys):
    root = write(tmp_path / "p", {}, pyproject='[tool.dlt-lint]\nselect = ["DLT996"]\n')
    original = "# -*- coding: latin-1 -*-\nx = 'caf\u00e9'\n".encode("latin-1")
    (root / "m.py").write_bytes(original)
    with registered_rules(("DLT996", InsertEuro)):
        code, out, err = fix(root, capsys)
    assert code == 1
    assert (root / "m.py").read_bytes() == original
    assert "cannot be encoded as iso-8859-1" in err and "file left unchanged" in err


def test_unsafe_fixes_need_the_flag(tmp_path, capsys):
    class UnsafeA(InsertA):
        """Test rule with an unsafe fix."""

        code = ""
        name = "unsafe-a"
        fix_availability = "unsafe"

    root = write(tmp_path / "p", {"m.py": "x = 1\n"}, pyproject='[tool.dlt-lint]\nselect = ["DLT997"]\n')
    with registered_rules(("DLT997", UnsafeA)):
        code, out, _ = fix(root, capsys)
        assert code == 1 and (root / "m.py").read_text() == "x = 1\n"
        assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in out
        code, out, _ = fix(root, capsys, "--unsafe-fixes")
        assert code == 0 and (root / "m.py").read_text() == "# a\nx = 1\n"


def test_write_atomic_replaces_in_one_step(tmp_path):
    from dlt_lint.files import write_atomic

    target = tmp_path / "m.py"
    target.write_text("old\n")
    os.chmod(target, 0o600)
    write_atomic(str(target), b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]
