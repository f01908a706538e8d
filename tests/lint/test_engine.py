"""The engine: discovery, the two-phase project run, the pool, bad input, options."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from dlt_lint import files as files_module
from dlt_lint.config import LintConfig
from dlt_lint.discovery import discover
from dlt_lint.engine import RunOptions, TrackingIndex, run
from dlt_lint.files import SourceError, read_bytes
from dlt_lint.index import ModuleSummary
from dlt_lint.linter import parse_source
from dlt_lint.rule import Rule

from tests.lint.engine_helpers import (
    REGISTERED,
    UNREGISTERED,
    cli,
    registered_rules,
    write,
)

BASE = """\
import keras


@keras.saving.register_keras_serializable()
class BaseBlock(keras.layers.Layer):
    def __init__(self, dim: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
"""

CHILD = """\
from pkg.base import BaseBlock


class Child(BaseBlock):
    pass
"""


def lint(root: Path, paths: list[str], select=("DLT000", "DLT201"), **options):
    config = LintConfig(root=root, select=list(select))
    old = Path.cwd()
    os.chdir(root)
    try:
        found = discover(paths, config)
        result = run(found.files, config, RunOptions(**{"use_cache": False, **options}), found.index_only)
    finally:
        os.chdir(old)
    return found, result


def codes_by_file(result) -> dict[str, list[str]]:
    return {o.file.display: [d.code for d in o.diagnostics] for o in result.outcomes}


# ------------------------------------------------------------------ discovery
def test_discovery_walks_sorted_skips_excluded_and_names_modules(tmp_path, monkeypatch):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/b.py": "", "pkg/a.py": "", "pkg/sub/__init__.py": "",
                     "pkg/sub/c.py": "", "pkg/__pycache__/x.py": "", ".venv/lib/y.py": "", "notes.txt": "",
                     "script.py": ""})
    config = LintConfig(root=tmp_path)
    monkeypatch.chdir(tmp_path)
    found = discover(["."], config)
    assert [f.display for f in found.files] == ["pkg/__init__.py", "pkg/a.py", "pkg/b.py",
                                                "pkg/sub/__init__.py", "pkg/sub/c.py", "script.py"]
    assert {f.display: (f.module, f.is_package) for f in found.files}["pkg/sub/c.py"] == ("pkg.sub.c", False)
    assert found.files[0].module == "pkg" and found.files[0].is_package
    assert found.index_only == [] and found.missing == []


def test_discovery_of_one_file_indexes_its_package(tmp_path, monkeypatch):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": BASE, "pkg/child.py": CHILD, "other.py": ""})
    monkeypatch.chdir(tmp_path)
    found = discover(["pkg/child.py", "missing.py"], LintConfig(root=tmp_path))
    assert [f.display for f in found.files] == ["pkg/child.py"]
    assert sorted(f.module for f in found.index_only) == ["pkg", "pkg.base"]
    assert found.missing == ["missing.py"]


def test_duplicate_arguments_are_linted_once(tmp_path):
    write(tmp_path, {"m.py": UNREGISTERED})
    found, result = lint(tmp_path, ["m.py", ".", "m.py"])
    assert [o.file.display for o in result.outcomes] == ["m.py"]


# ------------------------------------------------------------------ cross-file facts
def test_base_class_from_a_sibling_module_is_recognised(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": BASE, "pkg/child.py": CHILD})
    _, result = lint(tmp_path, ["pkg"])
    assert codes_by_file(result) == {"pkg/__init__.py": [], "pkg/base.py": [], "pkg/child.py": ["DLT201"]}


def test_base_class_is_recognised_when_only_the_child_is_linted(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": BASE, "pkg/child.py": CHILD})
    _, result = lint(tmp_path, ["pkg/child.py"])
    assert codes_by_file(result) == {"pkg/child.py": ["DLT201"]}


def test_re_exported_base_class_is_recognised(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "from pkg.base import BaseBlock\n", "pkg/base.py": BASE,
                     "app.py": "from pkg import BaseBlock\n\n\nclass Mine(BaseBlock):\n    pass\n"})
    _, result = lint(tmp_path, ["."])
    assert codes_by_file(result)["app.py"] == ["DLT201"]


def test_non_keras_sibling_base_is_not_reported(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": "class Plain:\n    pass\n",
                     "pkg/child.py": "from pkg.base import Plain\n\n\nclass Child(Plain):\n    pass\n"})
    _, result = lint(tmp_path, ["pkg"])
    assert all(not codes for codes in codes_by_file(result).values())


def test_speculative_phase_one_result_is_kept_or_redone(tmp_path):
    # With worker processes, a.py needs nothing from other files: linted once, in phase 1.
    # child.py derives from a sibling class: its bases send it straight to phase 2, where it is
    # parsed again (the workers' trees are gone).
    write(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": BASE, "pkg/child.py": CHILD, "pkg/a.py": UNREGISTERED})
    _, pooled = lint(tmp_path, ["pkg"], jobs=2)
    assert pooled.stats.files == 4 and pooled.stats.linted == 4
    assert pooled.stats.speculative_kept == 3 and pooled.stats.speculative_dropped == 0
    assert pooled.stats.parsed == 5
    # In-process (a few edited files), phase 1 keeps its trees: every file is parsed once and
    # linted once, against the full index, without speculating.
    _, result = lint(tmp_path, ["pkg"])
    s = result.stats
    assert s.files == 4 and s.linted == 4 and s.parsed == 4
    assert s.speculative_kept == 0 and s.speculative_dropped == 0
    assert [d.to_json() for d in pooled.diagnostics] == [d.to_json() for d in result.diagnostics]


def test_tracking_index_records_questions_and_validates_them():
    def summary(text, module):
        return parse_source(text, module + ".py", module).summary

    base, child = summary(BASE, "pkg.base"), summary(CHILD, "pkg.child")
    partial = TrackingIndex([child])
    partial.log = {}
    assert partial.is_keras("pkg.base.BaseBlock") is False
    partial.find_class("pkg.base.BaseBlock")
    log, partial.log = partial.log, None
    assert set(log) == {("is_keras", "pkg.base.BaseBlock"), ("find_class", "pkg.base.BaseBlock")}
    assert partial.still_valid(log)
    full = TrackingIndex([base, child])
    assert not full.still_valid(log)  # the full index knows the base: the answers differ
    full.log = {}
    full.is_keras("pkg.base.BaseBlock")
    log2, full.log = full.log, None
    edited = summary(BASE.replace("self.dim = dim", "self.dim = dim * 2"), "pkg.base")  # body only
    assert TrackingIndex([edited, child]).still_valid(log2)
    assert not TrackingIndex([summary("class BaseBlock:\n    pass\n", "pkg.base"), child]).still_valid(log2)


def test_direct_reads_of_modules_are_recorded():
    s = parse_source("x = 1\n", "m.py", "m").summary
    index = TrackingIndex([s])
    index.log, index.own = {}, "other"
    assert index.modules.get("m") is s
    assert "nope" not in index.modules
    list(index.modules.values())
    assert set(index.log) == {("module", "m"), ("module", "nope"), ("modules", "*")}
    assert index.still_valid(index.log)
    assert not TrackingIndex([s, ModuleSummary("nope", "", False, {}, {})]).still_valid(index.log)


# ------------------------------------------------------------------ the pool
def test_pool_gives_the_same_results_as_in_process(tmp_path):
    files = {"pkg/__init__.py": "", "pkg/base.py": BASE}
    for i in range(12):
        files[f"pkg/m{i}.py"] = UNREGISTERED if i % 2 else CHILD.replace("Child", f"Child{i}")
    write(tmp_path, files)
    _, serial = lint(tmp_path, ["pkg"], jobs=1)
    _, pooled = lint(tmp_path, ["pkg"], jobs=2)
    assert serial.stats.workers == 1 and pooled.stats.workers == 2
    assert [d.to_json() for d in serial.diagnostics] == [d.to_json() for d in pooled.diagnostics]
    assert len(serial.diagnostics) == 12


def test_pool_fix_gives_the_same_files(tmp_path):
    files = {f"m{i}.py": UNREGISTERED for i in range(6)}
    a = write(tmp_path / "a", files)
    b = write(tmp_path / "b", files)
    lint(a, ["."], jobs=1, fix=True)
    _, pooled = lint(b, ["."], jobs=2, fix=True)
    assert pooled.stats.workers == 2
    for name in files:
        assert (a / name).read_text() == (b / name).read_text() == REGISTERED


def test_small_runs_use_no_pool(tmp_path):
    write(tmp_path, {f"m{i}.py": UNREGISTERED for i in range(3)})
    _, result = lint(tmp_path, ["."])
    assert result.stats.workers == 1


# ------------------------------------------------------------------ bad input
BAD = {
    "syntax.py": "def broken(:\n    pass\n",
    "latin.py": b"x = '\xe9t\xe9'\n",  # not UTF-8 and no coding cookie
    "binary.py": b"\x00\x01\x02import os\n",
    "empty.py": "",
    "good.py": UNREGISTERED,
}


def make_bad(tmp_path: Path) -> Path:
    root = write(tmp_path / "bad", {})
    for name, content in BAD.items():
        path = root / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    os.symlink(root / "gone.py", root / "dangling.py")  # a file that cannot be read
    return root


def test_bad_input_gives_one_dlt000_each_and_others_are_linted(tmp_path):
    root = make_bad(tmp_path)
    _, result = lint(root, ["."])
    by_file = {o.file.display: o.diagnostics for o in result.outcomes}
    assert set(by_file) == {"syntax.py", "latin.py", "binary.py", "empty.py", "good.py", "dangling.py"}
    assert by_file["empty.py"] == []  # an empty module is valid Python (an empty __init__.py)
    assert [d.code for d in by_file["good.py"]] == ["DLT201"]
    for name in ("syntax.py", "latin.py", "binary.py", "dangling.py"):
        assert [d.code for d in by_file[name]] == ["DLT000"], name
    assert by_file["syntax.py"][0].start.row == 1 and "parse" in by_file["syntax.py"][0].message
    assert "decode" in by_file["latin.py"][0].message and "utf-8" in by_file["latin.py"][0].message
    assert "binary" in by_file["binary.py"][0].message
    assert "broken symbolic link" in by_file["dangling.py"][0].message


def test_bad_input_through_the_cli_and_fix_writes_none_of_it(tmp_path, capsys):
    root = make_bad(tmp_path)
    before = {name: (root / name).read_bytes() for name in BAD}
    mtimes = {name: (root / name).stat().st_mtime_ns for name in BAD if name != "good.py"}
    code, out, err = cli([".", "nowhere/", "--fix", "--output-format", "concise"], root, capsys)
    assert code == 2  # the missing directory
    assert "error: nowhere/: No such file or directory" in err
    lines = [line for line in out.splitlines() if ": DLT" in line]
    assert sorted(line.split(":")[0] for line in lines) == ["binary.py", "dangling.py", "latin.py", "syntax.py"]
    for name in mtimes:
        assert (root / name).read_bytes() == before[name]
        assert (root / name).stat().st_mtime_ns == mtimes[name]
    assert (root / "good.py").read_text() == REGISTERED


def test_unreadable_file_is_one_dlt000(tmp_path, monkeypatch):
    write(tmp_path, {"secret.py": UNREGISTERED, "good.py": UNREGISTERED})
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files_module, "open", fake_open, raising=False)
    with pytest.raises(SourceError, match="Permission denied"):
        read_bytes(str(tmp_path / "secret.py"))
    _, result = lint(tmp_path, ["."])
    by_file = {o.file.display: [(d.code, d.message) for d in o.diagnostics] for o in result.outcomes}
    assert by_file == {"good.py": [("DLT201", by_file["good.py"][0][1])],
                       "secret.py": [("DLT000", "Failed to read file: Permission denied")]}


def test_unreadable_file_as_an_unprivileged_user(tmp_path):
    """The real thing, when the tests run as root and the `nobody` account exists."""
    import shutil
    import subprocess

    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root and runuser")
    try:
        import pwd
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no nobody account")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="dlt-unreadable-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        write(base, {"secret.py": UNREGISTERED, "good.py": UNREGISTERED})
        os.chmod(base / "secret.py", 0o000)
        from tests.lint.engine_helpers import DLT_LINT

        proc = subprocess.run(["runuser", "-u", "nobody", "--", str(DLT_LINT), ".", "--no-cache",
                               "--output-format", "concise", "-q"], cwd=base, capture_output=True, text=True,
                              timeout=120)
        if "Permission denied" in proc.stderr and not proc.stdout:
            pytest.skip("nobody cannot run the interpreter here")
        assert sorted(proc.stdout.splitlines()) == [
            "good.py:4:7: DLT201 [*] Keras class `Block` is not registered with "
            "@keras.saving.register_keras_serializable()",
            "secret.py:1:1: DLT000 Failed to read file: Permission denied",
        ]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_dlt000_follows_selection(tmp_path):
    write(tmp_path, {"syntax.py": "def broken(:\n"})
    _, result = lint(tmp_path, ["."], select=("DLT201",))
    assert result.diagnostics == []


# ------------------------------------------------------------------ options reach rules
class OptionEcho(Rule):
    """Test rule: reports the value of option ``test.flag`` on every module."""

    code = ""
    name = "option-echo"
    summary = "test"

    def visit_Module(self, node: ast.Module) -> None:
        value = self.ctx.option("test.flag")
        if value:
            self.report((self.ctx.pos(1, 0), self.ctx.pos(1, 0)), f"flag={value}")


def test_rule_options_from_pyproject_reach_rules(tmp_path, capsys):
    write(tmp_path, {"m.py": "x = 1\n"},
          pyproject='[tool.dlt-lint]\nselect = ["DLT990"]\n[tool.dlt-lint.test]\nflag = "on"\n')
    with registered_rules(("DLT990", OptionEcho)):
        code, out, _ = cli(["m.py", "--output-format", "concise", "--no-cache"], tmp_path, capsys)
        assert code == 1 and out.splitlines()[0] == "m.py:1:1: DLT990 flag=on"
        (tmp_path / "pyproject.toml").write_text('[tool.dlt-lint]\nselect = ["DLT990"]\n')
        code, out, _ = cli(["m.py", "--no-cache"], tmp_path, capsys)
        assert code == 0


def test_extra_keras_bases_option(tmp_path, capsys):
    text = "from mylib import Base\n\n\nclass Thing(Base):\n    pass\n"
    write(tmp_path, {"m.py": text}, pyproject='[tool.dlt-lint]\nselect = ["DLT201"]\n')
    code, _, _ = cli(["m.py", "--no-cache"], tmp_path, capsys)
    assert code == 0
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dlt-lint]\nselect = ["DLT201"]\nextra-keras-bases = ["mylib.Base"]\n')
    code, out, _ = cli(["m.py", "--no-cache", "--output-format", "concise"], tmp_path, capsys)
    assert code == 1 and "m.py:4:7: DLT201" in out


def test_collect_hooks_fill_summary_extras(tmp_path):
    class Collector(Rule):
        """Test rule collecting the names of module-level functions."""

        code = ""
        name = "collector"
        summary = "test"
        collect_key = "test-functions"

        @classmethod
        def collect(cls, tree, ctx):
            names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
            return names or None

        def visit_Module(self, node):
            found = sorted(name for _, facts in self.ctx.project.extras("test-functions") for name in facts)
            self.report((self.ctx.pos(1, 0), self.ctx.pos(1, 0)), ",".join(found))

    write(tmp_path, {"a.py": "def f():\n    pass\n", "b.py": "def g():\n    pass\n", "c.py": "x = 1\n"})
    with registered_rules(("DLT991", Collector)):
        _, result = lint(tmp_path, ["."], select=("DLT991",))
    assert {d.filename: d.message for d in result.diagnostics} == {"a.py": "f,g", "b.py": "f,g", "c.py": "f,g"}
