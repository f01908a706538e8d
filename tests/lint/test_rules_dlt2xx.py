"""DLT000 / DLT202-DLT209 beyond the embedded examples: cross-file projects, fix layouts,
line endings and the shared helpers."""

from __future__ import annotations

import textwrap

import pytest
from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext
from dlt_lint.index import ProjectIndex
from dlt_lint.linter import fix_source, lint_source, parse_source
from dlt_lint.rule import all_rules
from dlt_lint.rules import _keras_class as kc

RULES = all_rules()


def _cfg() -> LintConfig:
    cfg = LintConfig()
    cfg.select = ["ALL"]
    cfg.preview = True
    return cfg


def _project(files: dict[str, str], collect: bool = True) -> ProjectIndex:
    """A project index over ``{module: source}``; runs the rules' collect hooks when asked."""
    parsed = {mod: parse_source(textwrap.dedent(src), f"{mod.replace('.', '/')}.py", mod)
              for mod, src in files.items()}
    index = ProjectIndex([p.summary for p in parsed.values()])
    if collect:
        for mod, p in parsed.items():
            ctx = FileContext(p.source, p.tree, f"{mod}.py", p.sem, index, _cfg())
            for rule in RULES.values():
                if rule.collect_key:
                    facts = rule.collect(p.tree, ctx)
                    if facts is not None:
                        p.summary.extras[rule.collect_key] = facts
    return index


def _lint(code: str, source: str, project: ProjectIndex | None = None, module: str = "pkg.child"):
    return lint_source(textwrap.dedent(source), f"{module.replace('.', '/')}.py", _cfg(), project,
                       module=module, rules=[RULES[code]])


def _fix(code: str, source: str, project: ProjectIndex | None = None, module: str = "pkg.child",
         unsafe: bool = False) -> str:
    result = fix_source(textwrap.dedent(source), f"{module.replace('.', '/')}.py", _cfg(), project,
                        module=module, unsafe=unsafe, rules=[RULES[code]])
    assert result.error is None, result.error
    return result.source


BASE = """
import keras


class Base(keras.layers.Layer):
    def __init__(self, dim, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.dropout_rate = dropout_rate
        self.proj = keras.layers.Dense(dim)

    def build(self, input_shape):
        self.proj.build(input_shape)
        super().build(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim, "dropout_rate": self.dropout_rate})
        return config


class NoBuild(keras.layers.Layer):
    pass


class StrictInit(keras.layers.Layer):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim


class Net(keras.Model):
    pass
"""


# --------------------------------------------------------------------------- DLT000
def test_dlt000_is_documented_and_never_runs():
    rule = RULES["DLT000"]
    doc = rule.documentation()
    for section in ("## What it does", "## Why", "## Example", "## Use instead", "## Fix safety"):
        assert section in doc
    assert not any(n in "class A:\n    pass\n" for n in rule.needles)
    assert not [a for a in dir(rule) if a.startswith(("visit_", "leave_"))]


def test_dlt000_reported_by_the_linter():
    found = lint_source("class A(\n", "broken.py", _cfg())
    assert [d.code for d in found] == ["DLT000"]
    assert found[0].start.row >= 1


# --------------------------------------------------------------------------- DLT202 / DLT203
def test_dlt203_keys_of_a_base_in_another_module_count():
    project = _project({"pkg.base": BASE})
    child = """
    from pkg.base import Base


    class Child(Base):
        def __init__(self, dim, dropout_rate=0.0, gate=1.0, **kwargs):
            super().__init__(dim, dropout_rate=dropout_rate, **kwargs)
            self.gate = gate

        def get_config(self):
            config = super().get_config()
            config["gate"] = self.gate
            return config
    """
    assert _lint("DLT203", child, project) == []
    # Without the base's summary the class is not known to be a Keras class at all.
    assert _lint("DLT203", child, None) == []


def test_dlt203_reports_what_the_other_module_base_does_not_save():
    project = _project({"pkg.base": BASE})
    child = """
    from .base import Base


    class Child(Base):
        def __init__(self, dim, heads, **kwargs):
            super().__init__(dim, **kwargs)
            self.heads = heads

        def get_config(self):
            return super().get_config()
    """
    found = _lint("DLT203", child, project)
    assert [d.message for d in found] == ["get_config() omits __init__ parameter(s): heads"]
    fixed = _fix("DLT203", child, project)
    assert "return super().get_config()" in fixed  # no dict literal or name to extend: no fix


def test_dlt202_child_adding_nothing_new_is_fine_across_files():
    project = _project({"pkg.base": BASE})
    child = """
    from pkg import base


    class Child(base.Base):
        def __init__(self, dim, dropout_rate=0.0, **kwargs):
            super().__init__(dim, dropout_rate=dropout_rate, **kwargs)
    """
    assert _lint("DLT202", child, project) == []
    extended = child.replace("dropout_rate=0.0, **kwargs):", "dropout_rate=0.0, width=2, **kwargs):")
    extended += "        self.width = width\n"
    found = _lint("DLT202", extended, project)
    assert len(found) == 1 and found[0].message.endswith("parameter(s): width")
    assert found[0].fix is not None and found[0].fix.applicability == "safe"


def test_dlt203_old_items_idiom_is_understood():
    src = """
    import keras


    class Block(keras.layers.Layer):
        def __init__(self, dim, heads, **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.heads = heads

        def get_config(self):
            config = {"dim": self.dim}
            base_config = super().get_config()
            return dict(list(base_config.items()) + list(config.items()))
    """
    found = _lint("DLT203", src)
    assert [d.message for d in found] == ["get_config() omits __init__ parameter(s): heads"]


def test_dlt203_helper_built_config_is_not_reported():
    src = """
    import keras


    class Block(keras.layers.Layer):
        def __init__(self, dim, heads, **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.heads = heads

        def _shared(self):
            return {"heads": self.heads}

        def get_config(self):
            config = self._shared()
            config["dim"] = self.dim
            return config
    """
    assert _lint("DLT203", src) == []


def test_dlt203_fix_with_non_ascii_text_and_crlf():
    src = textwrap.dedent("""
    import keras


    class Block(keras.layers.Layer):
        def __init__(self, dim, label="µ-block", **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.label = label

        def get_config(self):
            config = super().get_config()
            config.update({"note": "größe", "dim": self.dim})
            return config
    """).replace("\n", "\r\n")
    result = fix_source(src, "example.py", _cfg(), rules=[RULES["DLT203"]])
    assert result.error is None
    assert '{"note": "größe", "dim": self.dim, "label": self.label}' in result.source
    assert "\n" not in result.source.replace("\r\n", "")
    assert result.remaining == []


def test_dlt203_fix_adds_keras_import_for_name_imported_getter():
    src = """
    from keras.layers import Layer
    from keras.initializers import get as get_initializer


    class Block(Layer):
        def __init__(self, init="zeros", **kwargs):
            super().__init__(**kwargs)
            self.init = get_initializer(init)

        def get_config(self):
            config = super().get_config()
            return config
    """
    fixed = _fix("DLT203", src)
    assert fixed.startswith("\nfrom keras.layers import Layer\nfrom keras.initializers import get as get_initializer\nimport keras\n")
    assert 'config["init"] = keras.initializers.serialize(self.init)' in fixed


# --------------------------------------------------------------------------- DLT204
def test_dlt204_fix_is_unsafe_when_the_inherited_init_lacks_kwargs():
    project = _project({"pkg.base": BASE})
    child = """
    from pkg.base import StrictInit


    class Child(StrictInit):
        def get_config(self):
            return {"dim": self.dim}
    """
    found = _lint("DLT204", child, project)
    assert len(found) == 1 and found[0].fix.applicability == "unsafe"
    ok = child.replace("StrictInit", "Base")
    found = _lint("DLT204", ok, project)
    assert len(found) == 1 and found[0].fix.applicability == "safe"


# --------------------------------------------------------------------------- DLT205
CHILD_REUSING_PROJ = """
from pkg.base import Base


class Child(Base):
    def __init__(self, dim, **kwargs):
        super().__init__(dim, **kwargs)
        self.proj = keras.layers.Dense(dim * 2)
        self.gate = keras.layers.Dense(dim)

    def build(self, input_shape):
        self.gate.build(input_shape)
        super().build(input_shape)
"""


def test_dlt205_attribute_built_by_the_base_in_another_module():
    project = _project({"pkg.base": BASE})
    src = "import keras\n" + CHILD_REUSING_PROJ
    assert _lint("DLT205", src, project) == []
    # The gate is not built anywhere once the child's build() forgets it.
    broken = src.replace("        self.gate.build(input_shape)\n", "")
    found = _lint("DLT205", broken, project)
    assert [d.message for d in found] == [
        "sub-layer `self.gate` is created in __init__() but never built in build()"]


def test_dlt205_unknown_base_build_is_not_reported():
    # Base facts were not collected: what Base.build() builds is unknown.
    project = _project({"pkg.base": BASE}, collect=False)
    broken = ("import keras\n" + CHILD_REUSING_PROJ).replace("        self.gate.build(input_shape)\n", "")
    assert _lint("DLT205", broken, project) == []


def test_dlt205_no_build_with_base_in_another_module():
    project = _project({"pkg.base": BASE})
    src = """
    import keras
    from pkg.base import NoBuild, Net


    class Child(NoBuild):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.head = keras.layers.Dense(1)


    class Model(Net):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.head = keras.layers.Dense(1)

        def call(self, inputs):
            return self.head(inputs)
    """
    found = _lint("DLT205", src, project)
    assert [(d.start.row, d.message) for d in found] == [
        (6, "Keras class `Child` creates sub-layer(s) self.head in __init__() but it defines no build()")]


def test_dlt205_inherited_build_that_skips_the_new_sublayer():
    project = _project({"pkg.base": BASE})
    src = """
    import keras
    from pkg.base import Base


    class Child(Base):
        def __init__(self, dim, **kwargs):
            super().__init__(dim, **kwargs)
            self.extra = keras.layers.Dense(dim)
    """
    found = _lint("DLT205", src, project)
    assert len(found) == 1 and "no build() builds them" in found[0].message
    assert found[0].fix is None


def test_dlt205_calling_a_sublayer_in_build_builds_only_that_one():
    src = """
    import keras


    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embed = keras.layers.Embedding(10, 4)
            self.proj = keras.layers.Dense(4)

        def build(self, input_shape):
            self.embed(keras.ops.zeros((1,), dtype="int32"))
            super().build(input_shape)
    """
    found = _lint("DLT205", src, module="example")
    assert [d.message for d in found] == [
        "sub-layer `self.proj` is created in __init__() but never built in build()"]


def test_dlt205_iterating_all_tracked_layers_counts_as_building_everything():
    src = """
    import keras


    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a = keras.layers.Dense(4)
            self.b = keras.layers.Dense(4)

        def build(self, input_shape):
            for layer in self._layers:
                layer.build(input_shape)
            super().build(input_shape)
    """
    assert _lint("DLT205", src, module="example") == []


# --------------------------------------------------------------------------- DLT206
def test_dlt206_fix_keeps_crlf():
    src = "import keras\r\n\r\n\r\nclass A(keras.layers.Layer):\r\n    def build(self, s):\r\n        self.w = 1\r\n"
    result = fix_source(src, "example.py", _cfg(), rules=[RULES["DLT206"]])
    assert result.source == ("import keras\r\n\r\n\r\nclass A(keras.layers.Layer):\r\n    def build(self, s):\r\n"
                             "        self.w = 1\r\n        super().build(s)\r\n")


def test_dlt206_no_fix_for_single_line_body():
    src = """
    import keras


    class A(keras.layers.Layer):
        def build(self, s): self.w = 1
    """
    found = _lint("DLT206", src, module="example")
    assert len(found) == 1 and found[0].fix is None


# --------------------------------------------------------------------------- DLT208
@pytest.mark.parametrize(("signature", "expected"), [
    ("def __init__(self, dim, *, heads=2):", "def __init__(self, dim, *, heads=2, **kwargs):"),
    ("def __init__(self, dim=(1, 2)):", "def __init__(self, dim=(1, 2), **kwargs):"),
    ("def __init__(self, *args):", "def __init__(self, *args, **kwargs):"),
    ("def __init__(self):", "def __init__(self, **kwargs):"),
    ("def __init__(self, dim  # the width\n                 ):",
     "def __init__(self, dim, **kwargs  # the width\n                 ):"),
])
def test_dlt208_signature_layouts(signature, expected):
    src = f"import keras\n\n\nclass A(keras.layers.Layer):\n    {signature}\n        super().__init__()\n"
    fixed = _fix("DLT208", src, module="example", unsafe=True)
    assert fixed == f"import keras\n\n\nclass A(keras.layers.Layer):\n    {expected}\n        super().__init__(**kwargs)\n"


def test_dlt208_no_fix_when_kwargs_name_is_taken():
    src = """
    import keras


    class A(keras.layers.Layer):
        def __init__(self, kwargs=None):
            super().__init__()
    """
    found = _lint("DLT208", src, module="example")
    assert len(found) == 1 and found[0].fix is None


# --------------------------------------------------------------------------- DLT209
def test_dlt209_project_class_from_another_module():
    project = _project({"pkg.base": BASE})
    src = """
    import keras
    from pkg.base import Base, NoBuild


    class Block(keras.layers.Layer):
        def call(self, inputs):
            return Base(4)(inputs) + NoBuild()(inputs)
    """
    found = _lint("DLT209", src, project)
    assert [d.message for d in found] == [
        "layer `Base` created inside call(); create it in __init__()",
        "layer `NoBuild` created inside call(); create it in __init__()",
    ]


def test_dlt209_plain_project_class_is_not_a_layer():
    project = _project({"pkg.util": "class Helper:\n    pass\n"})
    src = """
    import keras
    from pkg.util import Helper


    class Block(keras.layers.Layer):
        def call(self, inputs):
            Helper()
            return inputs
    """
    assert _lint("DLT209", src, project) == []


# --------------------------------------------------------------------------- helpers
def test_append_items_layouts():
    src = 'x = {\n    "a": 1,  # note, with a comma\n}\ny = {"a": 1}\nz = {}\n'
    parsed = parse_source(src, "m.py", "m")
    ctx = FileContext(src, parsed.tree, "m.py", parsed.sem, ProjectIndex([parsed.summary]), _cfg())
    from dlt_lint.linter import apply_edits

    dicts = [n.value for n in parsed.tree.body]
    edits = [e for d in dicts for e in kc.append_to_dict(ctx, d, ['"b": 2'])]
    assert apply_edits(src, edits) == (
        'x = {\n    "a": 1,  # note, with a comma\n    "b": 2,\n}\ny = {"a": 1, "b": 2}\nz = {"b": 2}\n')


FACTORY_BASE = """
import keras


class DenseFactory(keras.layers.Layer):
    def make_dense(self, units, name):
        return keras.layers.Dense(units, name=name)

    def lookup(self):
        return self.proj
"""


def test_dlt205_factory_method_of_a_base_in_another_module():
    project = _project({"pkg.base": FACTORY_BASE})
    src = """
    from pkg.base import DenseFactory


    class Block(DenseFactory):
        def __init__(self, dim, **kwargs):
            super().__init__(**kwargs)
            self.proj = self.make_dense(dim, "proj")
            self.same = self.lookup()

        def build(self, input_shape):
            super().build(input_shape)
    """
    found = _lint("DLT205", src, project)
    assert [d.message for d in found] == [
        "sub-layer `self.proj` is created in __init__() but never built in build()"]
    fixed = _fix("DLT205", src, project, unsafe=True)
    assert "        self.proj.build(input_shape)\n        super().build(input_shape)\n" in fixed


def test_dlt209_factory_method_inside_call():
    src = FACTORY_BASE + """

class Block(DenseFactory):
    def call(self, inputs):
        return self.make_dense(4, "late")(inputs)
"""
    found = _lint("DLT209", src, module="example")
    assert [d.message for d in found] == [
        "layer `self.make_dense()` created inside call(); create it in __init__()"]


def test_dlt205_functional_submodels_are_already_built():
    src = """
    import keras


    class Wrapper(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            inputs = keras.Input((4,))
            self.backbone = keras.Model(inputs, keras.layers.Dense(2)(inputs))
            self.head = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            self.tail = keras.Sequential([keras.layers.Dense(1)])

        def build(self, input_shape):
            super().build(input_shape)
    """
    found = _lint("DLT205", src, module="example")
    assert [d.message for d in found] == [
        "sub-layer `self.tail` is created in __init__() but never built in build()"]


def test_dlt203_custom_from_config_mapping_counts():
    src = """
    import keras


    class Block(keras.layers.Layer):
        def __init__(self, dim, **kwargs):
            super().__init__(**kwargs)
            self.width = dim

        def get_config(self):
            config = super().get_config()
            config["width"] = self.width
            return config

        @classmethod
        def from_config(cls, config):
            config["dim"] = config.pop("width")
            return cls(**config)
    """
    assert _lint("DLT203", src, module="example") == []
    assert len(_lint("DLT203", src.split("        @classmethod")[0], module="example")) == 1


# --------------------------------------------------------------------------- DLT201 outside the project
_DECORATED = """\
import keras
from {module} import {name}


@{name}(package="demo")
class Block(keras.layers.Layer):
    pass
"""


def _dlt201(source: str) -> list[str]:
    return [d.code for d in lint_source(source, "pkg/block.py", _cfg(), module="pkg.block",
                                        rules=[RULES["DLT201"]])]


def test_dlt201_reads_an_installed_decorator_module(tmp_path, monkeypatch):
    """A decorator from a package that is installed but not linted is read from its source:
    the one that registers counts, the one that only records the class does not."""
    pkg = tmp_path / "dlt_test_extpkg"
    (pkg / "utils").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "utils" / "__init__.py").write_text("from dlt_test_extpkg.utils.reg import register_block\n")
    (pkg / "utils" / "reg.py").write_text(
        "import keras\n\n\n"
        "def register_block(package):\n"
        "    def wrap(cls):\n"
        "        return keras.saving.register_keras_serializable(package=package)(cls)\n"
        "    return wrap\n\n\n"
        "SEEN = {}\n\n\n"
        "def remember(package):\n"
        "    def wrap(cls):\n"
        "        SEEN[cls.__name__] = cls\n"
        "        return cls\n"
        "    return wrap\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _dlt201(_DECORATED.format(module="dlt_test_extpkg.utils", name="register_block")) == []
    assert _dlt201(_DECORATED.format(module="dlt_test_extpkg.utils.reg", name="remember")) == ["DLT201"]


def test_dlt201_trusts_a_registering_name_it_cannot_read():
    """When the decorator's module can be found nowhere, its name decides: unsure, not reported."""
    assert _dlt201(_DECORATED.format(module="dlt_no_such_pkg.registration", name="register_dl_technique")) == []
    assert _dlt201(_DECORATED.format(module="dlt_no_such_pkg.tools", name="timed")) == ["DLT201"]


def test_dlt208_offers_no_fix_when_kwargs_also_feed_an_inner_layer():
    source = textwrap.dedent("""\
        import keras

        class Outer(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                name = kwargs.pop("name", "outer")
                super().__init__(name=name)
                self.inner = keras.layers.Dense(dim, **kwargs)
        """)
    found = lint_source(source, "outer.py", _cfg(), module="outer", rules=[RULES["DLT208"]])
    assert [d.code for d in found] == ["DLT208"] and found[0].fix is None
    plain = source.replace("self.inner = keras.layers.Dense(dim, **kwargs)", "self.inner = keras.layers.Dense(dim)")
    plain = plain.replace('name = kwargs.pop("name", "outer")\n        super().__init__(name=name)',
                          'super().__init__(name="outer")')
    fixed = lint_source(plain, "outer.py", _cfg(), module="outer", rules=[RULES["DLT208"]])
    assert fixed and fixed[0].fix is not None


def test_dlt201_fix_is_unsafe_when_a_namesake_class_exists_elsewhere():
    """Two project classes called CapsNet registered with the bare decorator would share the
    name "Custom>CapsNet": the fix is then offered as unsafe only."""
    legacy = """\
        import keras


        class CapsNet(keras.Model):
            def call(self, x):
                return x
        """
    current = """\
        import keras


        @keras.saving.register_keras_serializable()
        class CapsNet(keras.Model):
            def call(self, x):
                return x * 2
        """
    project = _project({"pkg.legacy": legacy, "pkg.model": current})
    found = _lint("DLT201", legacy, project, module="pkg.legacy")
    assert [d.code for d in found] == ["DLT201"]
    assert found[0].fix.applicability == "unsafe" and "pkg.model" in found[0].fix.message
    alone = _lint("DLT201", legacy, _project({"pkg.legacy": legacy}), module="pkg.legacy")
    assert alone[0].fix.applicability == "safe"
