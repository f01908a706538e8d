"""The result cache: warm runs parse nothing, edits invalidate exactly what depends on them."""

from __future__ import annotations

import ast
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from dlt_lint.cache import CACHE_DIR_NAME, Cache, CacheEntry
from dlt_lint.config import LintConfig
from dlt_lint.discovery import discover
from dlt_lint.engine import RunOptions, run
from dlt_lint.rule import Rule

from tests.lint.engine_helpers import (
    DLT_LINT,
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

    def call(self, x):
        return x
"""

CHILD = """\
from pkg.base import BaseBlock


class Child(BaseBlock):
    pass
"""


@pytest.fixture(autouse=True)
def pinned_tool(monkeypatch):
    # Rule modules may be edited while the suite runs; pin the tool part of the cache key.
    monkeypatch.setenv("DLT_LINT_TOOL_FINGERPRINT", "tests")


def lint(root: Path, paths=(".",), select=("DLT000", "DLT201"), **options):
    config = LintConfig(root=root, select=list(select))
    old = Path.cwd()
    os.chdir(root)
    try:
        found = discover(list(paths), config)
        return run(found.files, config, RunOptions(**options), found.index_only)
    finally:
        os.chdir(old)


def project(tmp_path: Path) -> Path:
    return write(tmp_path / "proj", {"pkg/__init__.py": "", "pkg/base.py": BASE, "pkg/child.py": CHILD,
                                     "pkg/other.py": UNREGISTERED})


def test_warm_run_parses_nothing_and_gives_the_same_result(tmp_path):
    root = project(tmp_path)
    cold = lint(root)
    assert cold.stats.parsed >= 4 and cold.stats.cache_written == 4
    warm = lint(root)
    assert warm.stats.parsed == 0 and warm.stats.linted == 0
    assert warm.stats.summaries_cached == 4 and warm.stats.results_cached == 4
    assert warm.stats.cache_written == 0
    assert [d.to_json() for d in warm.diagnostics] == [d.to_json() for d in cold.diagnostics]
    assert (root / CACHE_DIR_NAME / ".gitignore").read_text().strip().endswith("*")


def test_warm_run_through_the_executable_reports_cache_use(tmp_path):
    root = project(tmp_path)
    env = dict(os.environ, DLT_LINT_TOOL_FINGERPRINT="tests")
    args = [str(DLT_LINT), ".", "-v", "--select", "DLT000,DLT201", "--output-format", "concise"]
    first = subprocess.run(args, cwd=root, capture_output=True, text=True, env=env, timeout=120)
    second = subprocess.run(args, cwd=root, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout
    assert "4 summaries and 4 results from cache; 0 parsed, 0 linted" in second.stderr


def test_cached_diagnostics_take_the_current_file_name(tmp_path):
    root = project(tmp_path)
    lint(root, paths=("pkg",))
    warm = lint(root, paths=(str(root / "pkg"),))
    assert warm.stats.parsed == 0
    assert {d.filename for d in warm.diagnostics} == {str(root / "pkg" / "child.py"), str(root / "pkg" / "other.py")}


def test_editing_a_file_relints_only_that_file(tmp_path):
    root = project(tmp_path)
    lint(root)
    (root / "pkg" / "other.py").write_text(UNREGISTERED + "\n\nx = 1\n")
    again = lint(root)
    assert again.stats.summaries_cached == 3 and again.stats.results_cached == 3
    assert again.stats.parsed == 1 and again.stats.linted == 1


def test_editing_a_base_method_body_keeps_the_child_result(tmp_path):
    root = project(tmp_path)
    lint(root)
    (root / "pkg" / "base.py").write_text(BASE.replace("return x", "y = x\n        return y"))
    again = lint(root)
    assert again.stats.parsed == 1  # base.py only
    assert again.stats.results_cached == 3


class BaseParams(Rule):
    """Test rule: reports, for each class, the __init__ parameters of its project ancestors."""

    code = ""
    name = "base-params"
    summary = "test"

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            params = [p.name for info in self.ctx.project.ancestors(self.ctx.sem.resolve(base))
                      for p in (info.params or [])]
            self.report(self.ctx.name_range(node), "base params: " + ",".join(params))


def test_changing_a_base_init_invalidates_the_child(tmp_path):
    root = project(tmp_path)
    with registered_rules(("DLT992", BaseParams)):
        first = lint(root, select=("DLT992",))
        msg = {d.filename: d.message for d in first.diagnostics}
        assert msg["pkg/child.py"] == "base params: dim,kwargs"
        # A body-only edit of the base keeps the child's result ...
        (root / "pkg" / "base.py").write_text(BASE.replace("return x", "return x + 0"))
        second = lint(root, select=("DLT992",))
        assert second.stats.results_cached == 3 and second.stats.linted == 1
        # ... a new __init__ parameter does not.
        (root / "pkg" / "base.py").write_text(BASE.replace("dim: int = 4,", "dim: int = 4, depth: int = 1,"))
        third = lint(root, select=("DLT992",))
        assert {d.filename: d.message for d in third.diagnostics}["pkg/child.py"] == "base params: dim,depth,kwargs"
        assert third.stats.results_cached == 2  # __init__.py and other.py
        assert third.stats.linted == 2  # base.py (edited) and child.py (depends on it)


def test_changing_a_base_class_kind_invalidates_the_child(tmp_path):
    root = project(tmp_path)
    assert [d.filename for d in lint(root).diagnostics] == ["pkg/child.py", "pkg/other.py"]
    (root / "pkg" / "base.py").write_text("class BaseBlock:\n    pass\n")
    assert [d.filename for d in lint(root).diagnostics] == ["pkg/other.py"]


def test_configuration_change_invalidates(tmp_path):
    root = project(tmp_path)
    lint(root)
    other = lint(root, select=("DLT000",))
    assert other.stats.summaries_cached == 0 and other.diagnostics == []


def test_corrupt_and_foreign_entries_are_ignored(tmp_path):
    root = project(tmp_path)
    cold = lint(root)
    entries = sorted((root / CACHE_DIR_NAME).rglob("*.pkl"))
    assert len(entries) == 4
    entries[0].write_bytes(b"\x80\x05garbage")
    entries[1].write_bytes(b"")
    entries[2].write_bytes(pickle.dumps({"not": "an entry"}))
    again = lint(root)
    assert again.stats.summaries_cached == 1 and again.stats.parsed >= 3
    assert [d.to_json() for d in again.diagnostics] == [d.to_json() for d in cold.diagnostics]
    assert lint(root).stats.parsed == 0  # repaired


def test_no_cache_neither_reads_nor_writes(tmp_path, capsys):
    root = project(tmp_path)
    code, _, _ = cli([".", "--no-cache"], root, capsys)
    assert code == 1
    assert not (root / CACHE_DIR_NAME).exists()
    lint(root)
    result = lint(root, use_cache=False)
    assert result.stats.summaries_cached == 0 and result.stats.parsed >= 4


def test_cache_lives_in_the_config_root(tmp_path, capsys):
    root = project(tmp_path)
    code, _, _ = cli(["child.py"], root / "pkg", capsys)
    assert code == 1
    assert (root / CACHE_DIR_NAME).is_dir() and not (root / "pkg" / CACHE_DIR_NAME).exists()


def test_store_is_atomic_and_load_tolerates_missing(tmp_path):
    cache = Cache(tmp_path)
    assert cache.load("/nowhere.py") is None
    entry = CacheEntry("h", "c", None)
    cache.store("/x.py", entry)
    assert cache.load("/x.py") == entry
    leftovers = [p for p in (tmp_path / CACHE_DIR_NAME).rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_fixed_files_are_not_served_from_stale_cache(tmp_path):
    root = project(tmp_path)
    lint(root)
    fixed = lint(root, fix=True)
    assert fixed.diagnostics == []
    after = lint(root)
    assert after.diagnostics == [] and after.stats.linted == 2  # the two fixed files


_CONCURRENT = """
import os, sys
sys.setrecursionlimit(10000)
from dlt_lint.cli import run_cli
os.chdir(sys.argv[1])
raise SystemExit(run_cli([".", "--select", "DLT000,DLT201", "--output-format", "concise", "-q", *sys.argv[2:]]))
"""


def test_concurrent_runs_share_the_cache_safely(tmp_path):
    root = write(tmp_path / "proj", {f"pkg/m{i}.py": UNREGISTERED for i in range(30)} | {"pkg/__init__.py": ""})
    env = dict(os.environ, DLT_LINT_TOOL_FINGERPRINT="tests")
    procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT, str(root)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1, 1], outputs
    assert len({out for out, _ in outputs}) == 1
    assert len(outputs[0][0].splitlines()) == 30
    warm = subprocess.run([sys.executable, "-c", _CONCURRENT, str(root), "-v"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert warm.stdout == outputs[0][0]
    assert "31 summaries and 31 results from cache; 0 parsed" in warm.stderr


CONV_BASE = """\
import keras


@keras.saving.register_keras_serializable()
class BaseConv(keras.layers.Layer):
    def __init__(self, rank, filters, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.filters = filters

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters})
        return config
"""

CONV_2D = """\
import keras

from pkg.base_conv import BaseConv


@keras.saving.register_keras_serializable()
class Conv2D(BaseConv):
    def __init__(self, filters, **kwargs):
        super().__init__(rank=2, filters=filters, **kwargs)
"""


def test_a_parameter_every_subclass_decides_is_not_required_across_files(tmp_path):
    """BaseConv leaves `rank` out of its config because its only subclass (in another module)
    fixes it; when that subclass starts taking `rank` from its caller, the base's cached
    result is invalidated and the omission is reported."""
    root = write(tmp_path / "proj", {"pkg/__init__.py": "", "pkg/base_conv.py": CONV_BASE,
                                     "pkg/conv.py": CONV_2D})
    first = lint(root, select=("DLT203",))
    assert first.diagnostics == []
    assert lint(root, select=("DLT203",)).stats.parsed == 0
    (root / "pkg" / "conv.py").write_text(CONV_2D.replace("self, filters,", "self, rank, filters,")
                                          .replace("rank=2", "rank=rank"))
    after = lint(root, select=("DLT203",))
    assert [(d.filename, d.message) for d in after.diagnostics] == [
        ("pkg/base_conv.py", "get_config() omits __init__ parameter(s): rank")]
    # Without any subclass the base must save it too.
    (root / "pkg" / "conv.py").unlink()
    assert [d.filename for d in lint(root, select=("DLT203",)).diagnostics] == ["pkg/base_conv.py"]


EXPORT = """\
import keras


def _register(path, symbol):
    keras.saving.register_keras_serializable(package="demo", name=path)(symbol)


class demo_export:
    def __init__(self, path):
        self.path = path

    def __call__(self, symbol):
        _register(self.path, symbol)
        return symbol
"""

EXPORTED_LAYER = """\
import keras

from pkg import demo_export


@demo_export("demo.Block")
class Block(keras.layers.Layer):
    pass
"""


def test_a_project_decorator_that_registers_counts_across_files(tmp_path):
    """`demo_export` (defined in another module, imported through the package's re-export)
    registers what it decorates; when it stops doing so the layer's cached result is
    invalidated and DLT201 reports it."""
    root = write(tmp_path / "proj", {"pkg/__init__.py": "from pkg.api_export import demo_export\n",
                                     "pkg/api_export.py": EXPORT, "pkg/block.py": EXPORTED_LAYER})
    assert lint(root).diagnostics == []
    (root / "pkg" / "api_export.py").write_text(EXPORT.replace("        _register(self.path, symbol)\n", ""))
    after = lint(root)
    assert [(d.code, d.filename) for d in after.diagnostics] == [("DLT201", "pkg/block.py")]


def _age(path: Path, seconds: float = 60.0) -> None:
    """Move the file's modification time into the past (as an old checkout has)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def _count_reads(monkeypatch) -> list[str]:
    import dlt_lint.engine as engine

    reads: list[str] = []
    real = engine.read_bytes

    def counting(path):
        reads.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(engine, "read_bytes", counting)
    return reads


def test_an_unchanged_old_file_is_not_read_again(tmp_path, monkeypatch):
    import dlt_lint.cache

    root = project(tmp_path)
    for p in (root / "pkg").iterdir():
        _age(p)
    # A test cannot move the change time back; shrink the racy window instead.
    monkeypatch.setattr(dlt_lint.cache, "RACY_NS", 0)
    monkeypatch.setattr(dlt_lint.cache, "RACY_FINE_NS", 0)
    cold = lint(root)  # reads and hashes every file, recording their stat
    reads = _count_reads(monkeypatch)
    warm = lint(root)
    assert reads == [] and warm.stats.parsed == 0
    assert [d.to_json() for d in warm.diagnostics] == [d.to_json() for d in cold.diagnostics]


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(tmp_path, monkeypatch):
    """Tools that restore the modification time (cp -p, rsync -t) cannot restore the change
    time: the edited file is read and linted again."""
    import dlt_lint.cache

    root = project(tmp_path)
    for p in (root / "pkg").iterdir():
        _age(p)
    monkeypatch.setattr(dlt_lint.cache, "RACY_NS", 0)
    monkeypatch.setattr(dlt_lint.cache, "RACY_FINE_NS", 0)
    assert [d.filename for d in lint(root).diagnostics] == ["pkg/child.py", "pkg/other.py"]
    other = root / "pkg" / "other.py"
    before = other.stat()
    text = UNREGISTERED.replace("keras.layers.Layer)", "object            )")  # same size
    assert len(text) == len(UNREGISTERED)
    other.write_text(text)
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (other.stat().st_size, other.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    reads = _count_reads(monkeypatch)
    after = lint(root)
    assert "other.py" in reads
    assert [d.filename for d in after.diagnostics] == ["pkg/child.py"]  # Block is no Keras class now


def test_a_file_read_just_after_its_edit_is_hashed_again(tmp_path, monkeypatch):
    """Within the racy window the times cannot prove the content unchanged."""
    root = project(tmp_path)
    lint(root)  # the files were written a moment ago
    reads = _count_reads(monkeypatch)
    warm = lint(root)
    assert sorted(reads) == ["__init__.py", "base.py", "child.py", "other.py"]
    assert warm.stats.parsed == 0  # same content: the cache still answers


def test_a_settled_file_read_again_gets_its_stat_refreshed(tmp_path, monkeypatch):
    """A file hashed while it was fresh is read on the next run; once its times have settled,
    that run stores them, and the run after it reads nothing."""
    import dlt_lint.cache

    root = project(tmp_path)
    lint(root)  # fresh files: stats not trusted yet
    for p in (root / "pkg").iterdir():
        _age(p)
    monkeypatch.setattr(dlt_lint.cache, "RACY_NS", 0)
    monkeypatch.setattr(dlt_lint.cache, "RACY_FINE_NS", 0)
    reads = _count_reads(monkeypatch)
    second = lint(root)
    assert len(reads) == 4 and second.stats.parsed == 0 and second.stats.cache_written == 4
    reads.clear()
    assert lint(root).stats.parsed == 0 and reads == []


def test_a_namesake_registered_elsewhere_invalidates_only_through_its_name(tmp_path):
    """pkg/a.py's DLT201 fix turns unsafe when pkg/b.py registers a class of the same name under
    the default package; unrelated edits to pkg/b.py keep a.py's cached result."""
    root = write(tmp_path / "proj", {"pkg/__init__.py": "", "pkg/a.py": UNREGISTERED,
                                     "pkg/b.py": "import keras\n\n\nclass Other(keras.layers.Layer):\n    pass\n"})
    first = lint(root)
    assert {d.filename: d.fix.applicability for d in first.diagnostics} == {"pkg/a.py": "safe", "pkg/b.py": "safe"}
    (root / "pkg" / "b.py").write_text(
        "import keras\n\n\nclass Other(keras.layers.Layer):\n    def call(self, x):\n        return x\n")
    second = lint(root)
    assert second.stats.linted == 1  # only b.py: a.py's question about `Block` has the same answer
    (root / "pkg" / "b.py").write_text(REGISTERED)
    third = lint(root)
    assert {d.filename: d.fix.applicability for d in third.diagnostics} == {"pkg/a.py": "unsafe"}


def test_racy_window_follows_the_timestamp_granularity():
    now = 1_800_000_000_000_000_000
    second = 1_000_000_000
    # Whole-second times (FAT, HFS+, ext3): the file must be 2 s old.
    assert not CacheEntry.trusted((10, now - second, now - second, 1, now))
    assert CacheEntry.trusted((10, now - 3 * second, now - 3 * second, 1, now))
    # Finer times: a few clock ticks are enough.
    assert CacheEntry.trusted((10, now - second + 7, now - second + 7, 1, now))
    assert not CacheEntry.trusted((10, now - 10_000_000 + 7, now - 10_000_000 + 7, 1, now))
    assert not CacheEntry.trusted(None)


def test_stat_refreshes_per_run_are_bounded(tmp_path, monkeypatch):
    import dlt_lint.cache
    import dlt_lint.engine

    root = project(tmp_path)
    lint(root)
    for p in (root / "pkg").iterdir():
        _age(p)
    monkeypatch.setattr(dlt_lint.cache, "RACY_NS", 0)
    monkeypatch.setattr(dlt_lint.cache, "RACY_FINE_NS", 0)
    monkeypatch.setattr(dlt_lint.engine, "MAX_STAT_REFRESH", 3)
    assert lint(root).stats.cache_written == 3
    assert lint(root).stats.cache_written == 1  # the fourth file, one run later
    assert lint(root).stats.cache_written == 0
