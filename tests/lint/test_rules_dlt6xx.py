"""DLT601-DLT603 across files: the attention registry lives in the factory module, the classes
in sibling modules. Checked through a project index and through the engine on a directory."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext
from dlt_lint.index import ProjectIndex
from dlt_lint.linter import fix_source, lint_source, parse_source
from dlt_lint.rule import all_rules

RULES = all_rules()

BASE = """
import keras


class BaseAttention(keras.layers.Layer):
    def __init__(self, dim, num_heads, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def split_heads(self, x):
        return x
"""

DOT = """
from pkg.layers.attention.base import BaseAttention


class DotAttention(BaseAttention):
    def __init__(self, dim, num_heads, scale=1.0, **kwargs):
        super().__init__(dim, num_heads, **kwargs)


class RingAttention(BaseAttention):
    pass


class _Helper(BaseAttention):
    pass
"""

WINDOW = """
import keras


class WindowAttention(keras.layers.Layer):
    def __init__(self, dim, num_heads, window_size, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
"""

FACTORY = """
from typing import Literal

from pkg.layers.attention.dot import DotAttention
from pkg.layers.attention import WindowAttention

AttentionType = Literal["dot", "window", "ring"]

_ATTENTION_LAYER_REGISTRY = {
    "dot": DotAttention,
    "window": WindowAttention,
}

_ATTENTION_PARAMS = {
    "dot": {
        "required": ["dim", "num_heads"],
        "optional": {"scale": 1.0, "dropout_rate": 0.1, "name": None},
    },
    "window": {
        "required": ["dim", "num_heads"],
        "optional": {"dropout_rate": 0.0, "use_bias": False},
    },
}
"""

INIT = """
from pkg.layers.attention.window import WindowAttention
"""

FILES = {
    "pkg.layers.attention": INIT,
    "pkg.layers.attention.base": BASE,
    "pkg.layers.attention.dot": DOT,
    "pkg.layers.attention.window": WINDOW,
    "pkg.layers.attention.factory": FACTORY,
}


def _cfg(**options) -> LintConfig:
    cfg = LintConfig(options=options)
    cfg.select = ["ALL"]
    cfg.preview = True
    return cfg


def _path(module: str, is_pkg: bool) -> str:
    return module.replace(".", "/") + ("/__init__.py" if is_pkg else ".py")


def _project(files: dict[str, str], **options) -> ProjectIndex:
    parsed = {}
    for module, source in files.items():
        is_pkg = module == "pkg.layers.attention"
        parsed[module] = parse_source(textwrap.dedent(source), _path(module, is_pkg), module, is_pkg)
    index = ProjectIndex([p.summary for p in parsed.values()])
    for module, p in parsed.items():
        ctx = FileContext(p.source, p.tree, _path(module, False), p.sem, index, _cfg(**options))
        for rule in RULES.values():
            if rule.collect_key:
                facts = rule.collect(p.tree, ctx)
                if facts is not None:
                    p.summary.extras[rule.collect_key] = facts
    return index


def _lint(code: str, module: str, files: dict[str, str] = FILES, **options):
    project = _project(files, **options)
    is_pkg = module == "pkg.layers.attention"
    return lint_source(textwrap.dedent(files[module]), _path(module, is_pkg), _cfg(**options), project,
                       module=module, is_package=is_pkg, rules=[RULES[code]])


def test_dlt601_unregistered_class_in_a_sibling_module():
    found = _lint("DLT601", "pkg.layers.attention.dot")
    assert [(d.start.row, d.message) for d in found] == [
        (10, "attention class `RingAttention` is not registered in the attention factory "
            "(`pkg.layers.attention.factory`)"),
    ]
    # BaseAttention is a (concrete) base of registered classes; WindowAttention is registered
    # through the package re-export.
    assert _lint("DLT601", "pkg.layers.attention.base") == []
    assert _lint("DLT601", "pkg.layers.attention.window") == []


def test_dlt601_silent_without_a_registry():
    files = {k: v for k, v in FILES.items() if not k.endswith("factory")}
    assert _lint("DLT601", "pkg.layers.attention.dot", files) == []


def test_dlt601_configured_registry_module():
    files = dict(FILES)
    files["pkg.layers.attention.registry"] = files.pop("pkg.layers.attention.factory")
    options = {"factories": {"attention-module": "pkg.layers.attention.registry"}}
    found = _lint("DLT601", "pkg.layers.attention.dot", files, **options)
    assert [d.message.split("`")[1] for d in found] == ["RingAttention"]
    # The default naming rule no longer applies once the module is configured elsewhere.
    options = {"factories": {"attention-module": "pkg.other.registry"}}
    assert _lint("DLT601", "pkg.layers.attention.dot", files, **options) == []


def test_dlt602_classes_in_other_modules_and_inherited_kwargs():
    found = _lint("DLT602", "pkg.layers.attention.factory")
    assert [(d.start.row, d.message) for d in found] == [
        # dropout_rate reaches BaseAttention through **kwargs; its default there is 0.0.
        (15, "registry entry 'dot' disagrees with `DotAttention.__init__`: optional `dropout_rate` "
             "defaults to 0.1 in the registry but 0.0 in the constructor"),
        (19, "registry entry 'window' disagrees with `WindowAttention.__init__`: optional `use_bias` "
             "is not a constructor parameter; constructor parameter `window_size` has no default "
             "but is not required"),
    ]


def test_dlt602_unknown_base_accepts_anything():
    files = dict(FILES)
    files["pkg.layers.attention.window"] = """
    from somewhere import Mystery

    class WindowAttention(Mystery):
        def __init__(self, dim, num_heads, window_size=7, **kwargs):
            super().__init__(**kwargs)
    """
    found = _lint("DLT602", "pkg.layers.attention.factory", files)
    assert [d.message.split("'")[1] for d in found] == ["dot"]


def test_dlt603_literal_fix_across_files():
    project = _project(FILES)
    source = textwrap.dedent(FACTORY)
    (found,) = lint_source(source, "pkg/layers/attention/factory.py", _cfg(), project,
                           module="pkg.layers.attention.factory", rules=[RULES["DLT603"]])
    assert found.message == ("`AttentionType` does not match the keys of `_ATTENTION_LAYER_REGISTRY`: "
                             "not registered 'ring'")
    result = fix_source(source, "pkg/layers/attention/factory.py", _cfg(), project,
                        module="pkg.layers.attention.factory", rules=[RULES["DLT603"]])
    assert 'AttentionType = Literal["dot", "window"]' in result.source
    assert result.remaining == []


def test_framework_factories_are_consistent():
    """The bundled framework's factory modules pass DLT602 / DLT603 (its classes are indexed)."""
    root = Path(__file__).resolve().parents[2] / "framework"
    files = sorted((root / "dl_techniques" / "layers").rglob("*.py"))
    parsed = []
    for path in files:
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_pkg else parts)
        parsed.append((path, module, is_pkg, parse_source(path.read_text(), str(path), module, is_pkg)))
    index = ProjectIndex([p.summary for *_, p in parsed])
    factories = [(path, module, is_pkg, p) for path, module, is_pkg, p in parsed if module.endswith(".factory")]
    assert factories
    for path, module, is_pkg, p in factories:
        found = lint_source(p.source, str(path), _cfg(), index, module, is_pkg,
                            rules=[RULES["DLT602"], RULES["DLT603"]], parsed=p)
        assert not found, [f"{path.name}:{d.start.row} {d.message}" for d in found]


# --------------------------------------------------------------------------- through the engine
def test_engine_run_on_a_directory(tmp_path):
    engine = pytest.importorskip("dlt_lint.engine")
    discovery = pytest.importorskip("dlt_lint.discovery")
    for module, source in FILES.items():
        rel = Path(*module.split("."))
        path = tmp_path / (rel / "__init__.py" if module == "pkg.layers.attention" else rel.with_suffix(".py"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    for package in (tmp_path / "pkg", tmp_path / "pkg" / "layers"):
        (package / "__init__.py").write_text("")
    caller = tmp_path / "pkg" / "app.py"
    caller.write_text(textwrap.dedent("""
        from pkg.layers.attention.factory import _ATTENTION_PARAMS
        from pkg.layers.attention.dot import DotAttention

        def build(dim: int) -> DotAttention:
            \"\"\"Build the attention.\"\"\"
            return DotAttention(dim, 2)
    """))
    config = LintConfig(root=tmp_path)
    config.select = ["DLT6"]
    found = discovery.discover([str(tmp_path)], config)
    result = engine.run(found.files, config, engine.RunOptions(use_cache=False, jobs=1),
                        index_only=found.index_only)
    by_file = sorted((Path(d.filename).name, d.code, d.start.row) for d in result.diagnostics)
    assert by_file == [
        ("dot.py", "DLT601", 10),
        ("factory.py", "DLT602", 15),
        ("factory.py", "DLT602", 19),
        ("factory.py", "DLT603", 7),
    ]
