"""DLT501-DLT505 beyond the embedded examples: publicity, test files, paths, options, preview."""

from __future__ import annotations

import ast
import textwrap

import pytest
from dlt_lint.config import LintConfig
from dlt_lint.linter import enabled_rules, lint_source
from dlt_lint.rule import all_rules
from dlt_lint.rules.dlt501_type_hints import is_main_guard, is_public, is_test_file
from dlt_lint.rules.dlt503_save_format import legacy_suffix, path_suffix

RULES = all_rules()


def _cfg(root=None, **options) -> LintConfig:
    cfg = LintConfig(options=options) if root is None else LintConfig(root=root, options=options)
    cfg.select = ["ALL"]
    cfg.preview = True
    return cfg


def _lint(code: str, source: str, filename: str = "pkg/mod.py", **options):
    return lint_source(textwrap.dedent(source), filename, _cfg(**options), module="pkg.mod",
                       rules=[RULES[code]])


@pytest.mark.parametrize(("name", "expected"), [
    ("tests/test_x.py", True), ("pkg/x_test.py", True), ("conftest.py", True),
    ("repo/tests/helpers/data.py", True), ("src\\tests\\util.py", True),
    ("pkg/testing.py", False), ("pkg/contest.py", False), ("pkg/latest_model.py", False),
])
def test_is_test_file(name, expected):
    assert is_test_file(name) is expected


def test_is_public():
    assert is_public("run") and is_public("__init__") and is_public("__call__")
    assert not is_public("_run") and not is_public("__private") and not is_public("__")


def test_main_guard_either_order():
    assert is_main_guard(ast.parse('if "__main__" == __name__:\n    pass').body[0])
    assert not is_main_guard(ast.parse('if __name__ != "__main__":\n    pass').body[0])


# --------------------------------------------------------------------------- DLT501
def test_dlt501_message_and_position():
    source = """
    class Model:
        def fit(self, x, y: int, *args, verbose=0, **kw) -> None:
            pass
    """
    (found,) = _lint("DLT501", source)
    assert (found.start.row, found.start.column) == (3, 8)
    assert found.message == "public method `Model.fit` lacks type hints: `x`, `verbose`, `*args`, `**kw`"


def test_dlt501_classes_inside_functions_and_private_classes_are_skipped():
    source = """
    def factory() -> type:
        class Local:
            def run(self, x):
                return x
        return Local

    class _Private:
        class Public:
            def run(self, x):
                return x
    """
    assert _lint("DLT501", source) == []


def test_dlt501_conditional_definitions_count():
    source = """
    try:
        import numpy
    except ImportError:
        def fallback(x):
            return x
    """
    assert len(_lint("DLT501", source)) == 1


# --------------------------------------------------------------------------- DLT502
def test_dlt502_init_needs_a_docstring_only_without_class_docstring():
    undocumented = """
    class Block:
        def __init__(self, dim: int) -> None:
            self.dim = dim
    """
    messages = [d.message for d in _lint("DLT502", undocumented)]
    assert messages == ["public class `Block` has no docstring",
                        "public method `Block.__init__` has no docstring"]
    documented = '''
    class Block:
        """A block."""

        def __init__(self, dim: int) -> None:
            self.dim = dim
    '''
    assert _lint("DLT502", documented) == []


def test_dlt502_typing_extensions_override():
    source = '''
    import typing_extensions as te

    class Child:
        """Child."""

        @te.override
        def run(self) -> int:
            return 1
    '''
    assert _lint("DLT502", source) == []


# --------------------------------------------------------------------------- DLT503
@pytest.mark.parametrize(("expr", "suffix"), [
    ('"m.h5"', "m.h5"), ('f"{d}/m.hdf5"', "/m.hdf5"), ('f"{d}"', None), ('d + ".tf"', ".tf"),
    ('Path(d) / "m.keras"', "m.keras"), ('os.path.join(d, "w.h5")', "w.h5"), ('str(p)', None),
    ('name', None),
])
def test_path_suffix(expr, suffix):
    assert path_suffix(ast.parse(expr, mode="eval").body) == suffix


def test_legacy_suffix():
    assert legacy_suffix("m.weights.h5", weights_allowed=True) is None
    assert legacy_suffix("m.weights.h5", weights_allowed=False) == ".h5"
    assert legacy_suffix("M.HDF5", weights_allowed=False) == ".hdf5"
    assert legacy_suffix("model.keras", weights_allowed=False) is None
    assert legacy_suffix("model.tflite", weights_allowed=False) is None


def test_dlt503_weights_suffix_only_for_weights():
    source = """
    import keras

    model.save("m.weights.h5")
    keras.callbacks.ModelCheckpoint("best.weights.h5")
    keras.callbacks.ModelCheckpoint("best.weights.h5", save_weights_only=True)
    model.save_weights("m.weights.h5")
    """
    assert [d.start.row for d in _lint("DLT503", source)] == [4, 5]


# --------------------------------------------------------------------------- DLT504
def test_dlt504_option_as_a_single_glob_and_shadowed_print():
    assert _lint("DLT504", 'print("x")\n', filename="tools/run.py",
                 quality={"print-allowed": "tools/*"}) == []
    shadowed = """
    def print(*args):
        return args

    print("x")
    """
    assert _lint("DLT504", shadowed) == []


def test_dlt504_default_globs_relative_to_the_config_root(tmp_path):
    script = tmp_path / "scripts" / "train.py"
    script.parent.mkdir()
    script.write_text('print("x")\n')
    cfg = _cfg(root=tmp_path)
    found = lint_source(script.read_text(), str(script), cfg, module="train", rules=[RULES["DLT504"]])
    assert found == []
    lib = tmp_path / "lib" / "core.py"
    lib.parent.mkdir()
    found = lint_source('print("x")\n', str(lib), cfg, module="lib.core", rules=[RULES["DLT504"]])
    assert len(found) == 1


def test_dlt504_nested_code_under_the_main_guard():
    source = """
    if __name__ == "__main__":
        def main():
            print("nested")
        main()
    print("module level")
    """
    assert [d.start.row for d in _lint("DLT504", source)] == [6]


# --------------------------------------------------------------------------- DLT505
def test_dlt505_is_a_preview_rule():
    cfg = LintConfig()
    assert "DLT505" not in [r.code for r in enabled_rules(cfg)]
    cfg.preview = True
    assert "DLT505" in [r.code for r in enabled_rules(cfg)]


def test_dlt505_registered_attention_class_by_name_only():
    source = """
    import keras

    class AttentionPool(keras.layers.Layer):
        def __init__(self, dropout_rate=True, rate=0.5, dropout_prob=0.3, **kwargs):
            super().__init__(**kwargs)
    """
    found = _lint("DLT505", source)
    assert [d.message.split("`")[3] for d in found] == ["dropout_prob"]
