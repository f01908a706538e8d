"""Static reading of factory registries (dlt_lint.registries): both attention spellings, the
other factories, the collect hook, the project / installed lookup, and agreement with the
registries the framework builds at runtime."""

from __future__ import annotations

import ast
import importlib
import json
import pickle
import subprocess
import sys
import textwrap

import pytest
from dlt_lint import registries as regs
from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext
from dlt_lint.index import ProjectIndex
from dlt_lint.linter import parse_source
from dlt_lint.semantic import Semantic

GUIDE_000 = '''
from typing import Literal

from pkg.layers.attention.dot import DotAttention
from pkg.layers.attention import window as win

AttentionType = Literal["dot", "window"]

_ATTENTION_LAYER_REGISTRY = {
    "dot": DotAttention,
    "window": win.WindowAttention,
}

_ATTENTION_PARAMS = {
    "dot": {"class": DotAttention, "required": ["dim", "num_heads"],
            "optional": {"dropout_rate": 0.0, "scale": 1e-6}},
    "window": {"required": ["dim", "num_heads", "window_size"], "optional": {}},
}


def create_attention_layer(attention_type, name=None, **kwargs):
    return _ATTENTION_LAYER_REGISTRY[attention_type](**kwargs)


def create_attention(attention_type="dot", **kwargs):
    return create_attention_layer(attention_type, **kwargs)


def create_attention_from_config(config):
    return config


def create_helper(x):
    return x
'''

SPELLING_2 = '''
import typing as t
from pkg.layers.attention.dot import DotAttention as Dot

AttentionType: t.TypeAlias = t.Literal["dot"]

ATTENTION_REGISTRY = {
    "dot": {
        "class": Dot,
        "required_params": ["dim"],
        "optional_params": {"dropout_rate": 0.0},
        "description": "Dot-product attention.",
    },
}
'''

FFN = '''
from typing import Any, Dict, Literal
import keras
from .mlp import MLPBlock

FFNType = Literal["mlp"]

FFN_REGISTRY: Dict[str, Dict[str, Any]] = {
    "mlp": {"class": MLPBlock, "required": ["hidden_dim", "output_dim"],
            "optional": {"activation": "gelu", "dropout_rate": 0.0}, "description": "MLP."},
    "norm": {"class": keras.layers.LayerNormalization, "required": [], "optional": {}},
}


def create_ffn_layer(ffn_type: FFNType, name=None, **kwargs):
    return FFN_REGISTRY[ffn_type]["class"](**kwargs)


def create_ffn(ffn_type, output_dim, ffn_expansion_factor=4, **kwargs):
    return create_ffn_layer(ffn_type, output_dim=output_dim, **kwargs)
'''


def _read(source: str, module: str) -> list[regs.FactoryRegistry]:
    tree = ast.parse(textwrap.dedent(source))
    return regs.read_registries(tree, Semantic(tree, module, False), textwrap.dedent(source))


def _cfg(**options) -> LintConfig:
    cfg = LintConfig(options=options)
    cfg.select = ["ALL"]
    return cfg


def _ctx(source: str, module: str, project: ProjectIndex | None = None, **options) -> FileContext:
    source = textwrap.dedent(source)
    parsed = parse_source(source, f"{module.replace('.', '/')}.py", module)
    project = project or ProjectIndex([parsed.summary])
    return FileContext(source, parsed.tree, f"{module.replace('.', '/')}.py", parsed.sem, project,
                       _cfg(**options))


def _project(files: dict[str, str], **options) -> ProjectIndex:
    """Index over ``{module: source}`` with the registry facts collected, as the engine does."""
    parsed = {m: parse_source(textwrap.dedent(s), f"{m.replace('.', '/')}.py", m) for m, s in files.items()}
    index = ProjectIndex([p.summary for p in parsed.values()])
    for module, p in parsed.items():
        ctx = FileContext(p.source, p.tree, f"{module}.py", p.sem, index, _cfg(**options))
        facts = regs.collect(p.tree, ctx)
        if facts is not None:
            p.summary.extras[regs.COLLECT_KEY] = facts
    return index


# --------------------------------------------------------------------------- reading
def test_guide_000_spelling():
    (reg,) = _read(GUIDE_000, "pkg.layers.attention.factory")
    assert reg.kind == "attention"
    assert reg.names == ["_ATTENTION_LAYER_REGISTRY", "_ATTENTION_PARAMS"]
    assert reg.keys == ["dot", "window"]
    dot, window = reg.entries["dot"], reg.entries["window"]
    assert dot.cls == "pkg.layers.attention.dot.DotAttention"
    assert window.cls == "pkg.layers.attention.window.WindowAttention"
    assert dot.required == ["dim", "num_heads"]
    assert dot.optional == {"dropout_rate": "0.0", "scale": "1e-6"}
    assert window.required == ["dim", "num_heads", "window_size"] and window.optional == {}
    assert reg.literal is not None and reg.literal.name == "AttentionType"
    assert reg.literal.values == ["dot", "window"]
    assert reg.keys_by_name == {"_ATTENTION_LAYER_REGISTRY": ["dot", "window"],
                                "_ATTENTION_PARAMS": ["dot", "window"]}
    # create_* functions taking the type first; *_from_config and create_helper are not factories.
    assert set(reg.functions) == {"create_attention_layer", "create_attention"}
    assert reg.functions["create_attention_layer"].strict
    assert not reg.functions["create_attention"].strict
    assert reg.functions["create_attention_layer"].type_param == "attention_type"
    # Reported positions point at the parameter table's keys.
    assert dot.key_node is not None and dot.key_node.lineno == 15


def test_second_spelling_and_aliases():
    (reg,) = _read(SPELLING_2, "pkg.layers.attention.factory")
    entry = reg.entries["dot"]
    assert entry.cls == "pkg.layers.attention.dot.DotAttention"
    assert entry.required == ["dim"] and entry.optional == {"dropout_rate": "0.0"}
    assert entry.description == "Dot-product attention."
    assert reg.literal is not None and reg.literal.values == ["dot"]
    assert reg.keys_by_name == {}


def test_other_factory_annotated_registry_relative_import():
    (reg,) = _read(FFN, "pkg.layers.ffn.factory")
    assert reg.kind == "ffn" and reg.names == ["FFN_REGISTRY"]
    assert reg.entries["mlp"].cls == "pkg.layers.ffn.mlp.MLPBlock"
    assert reg.entries["norm"].cls == "keras.layers.LayerNormalization"
    assert reg.literal is not None and reg.literal.name == "FFNType"
    assert set(reg.functions) == {"create_ffn_layer", "create_ffn"}
    assert reg.functions["create_ffn"].params == ("ffn_type", "output_dim", "ffn_expansion_factor")


def test_non_literal_parts_are_unknown_not_guessed():
    source = '''
    from .a import A
    REQ = ["dim"]
    X_REGISTRY = {"a": {"class": A, "required": REQ, "optional": dict(dim=1)}}
    '''
    (reg,) = _read(source, "pkg.x.factory")
    assert reg.entries["a"].required is None and reg.entries["a"].optional is None


def test_dicts_that_are_not_registries_are_ignored():
    source = '''
    from .a import A
    CONFIG = {"a": {"depth": 2}}
    ALIASES = {"a": A}
    '''
    assert _read(source, "pkg.x.factory") == []


def test_serves_follows_package_reexports_only():
    (reg,) = _read(FFN, "pkg.layers.ffn.factory")
    assert reg.serves("pkg.layers.ffn.factory.create_ffn_layer") is not None
    assert reg.serves("pkg.layers.ffn.create_ffn_layer") is not None
    assert reg.serves("pkg.layers.create_ffn") is not None
    assert reg.serves("other.layers.ffn.create_ffn_layer") is None
    assert reg.serves("pkg.layers.ffn.factory.create_attention") is None
    assert reg.serves(None) is None


def test_facts_round_trip_and_are_plain_data():
    (reg,) = _read(GUIDE_000, "pkg.layers.attention.factory")
    facts = reg.to_facts()
    assert json.loads(json.dumps(facts)) == facts
    back = regs.FactoryRegistry.from_facts(pickle.loads(pickle.dumps(facts)))
    assert back.keys == reg.keys and back.kind == reg.kind and back.module == reg.module
    assert back.entries["dot"].optional == reg.entries["dot"].optional
    assert back.functions == reg.functions
    assert back.literal is not None and back.literal.values == ["dot", "window"]
    assert back.keys_by_name == reg.keys_by_name


def test_same_default():
    assert regs.same_default("1e-6", "0.000001") is True
    assert regs.same_default("10000", "10000.0") is True
    assert regs.same_default("0.1", "0.0") is False
    assert regs.same_default("None", "0") is False
    assert regs.same_default("True", "1") is False
    assert regs.same_default("'gelu'", '"gelu"') is True
    assert regs.same_default("keras.initializers.Ones()", '"ones"') is None
    assert regs.same_default("keras.initializers.Ones()", "keras.initializers.Ones( )") is True


def test_kind_of():
    assert regs.kind_of("_ATTENTION_LAYER_REGISTRY") == "attention"
    assert regs.kind_of("_ATTENTION_PARAMS") == "attention"
    assert regs.kind_of("ATTENTION_REGISTRY") == "attention"
    assert regs.kind_of("NORMALIZATION_REGISTRY") == "normalization"
    assert regs.kind_of("FFN_REGISTRY") == "ffn"


# --------------------------------------------------------------------------- collect hook
def test_collect_only_in_factory_modules():
    assert regs.collect(*_tree_ctx(GUIDE_000, "pkg.layers.attention.dot")) is None
    facts = regs.collect(*_tree_ctx(GUIDE_000, "pkg.layers.attention.factory"))
    assert facts is not None
    assert facts["classes"] == ["pkg.layers.attention.dot.DotAttention",
                                "pkg.layers.attention.window.WindowAttention"]
    assert [r["kind"] for r in facts["registries"]] == ["attention"]
    # A non-attention factory contributes registries but no attention classes.
    facts = regs.collect(*_tree_ctx(FFN, "pkg.layers.ffn.factory"))
    assert facts is not None and facts["classes"] == []


def test_collect_configured_attention_module():
    options = {"factories": {"attention-module": "lib.attn.registry"}}
    facts = regs.collect(*_tree_ctx(SPELLING_2, "lib.attn.registry", **options))
    assert facts is not None and facts["classes"] == ["pkg.layers.attention.dot.DotAttention"]
    # Without the option the module is neither a factory nor the attention registry.
    assert regs.collect(*_tree_ctx(SPELLING_2, "lib.attn.registry")) is None


def _tree_ctx(source: str, module: str, **options):
    ctx = _ctx(source, module, **options)
    return ctx.tree, ctx


def test_registered_class_is_an_attention_class_across_files():
    scorer = '''
    import keras

    class Scorer(keras.layers.Layer):
        pass
    '''
    factory = '''
    from pkg.blocks.scorer import Scorer
    _ATTENTION_LAYER_REGISTRY = {"scorer": Scorer}
    _ATTENTION_PARAMS = {"scorer": {"required": [], "optional": {}}}
    '''
    project = _project({"pkg.blocks.scorer": scorer, "pkg.layers.attention.factory": factory})
    ctx = _ctx(scorer, "pkg.blocks.scorer", project)
    (cls,) = ctx.keras_classes
    assert ctx.attention_class(cls)
    # Without the collected registry the class is not an attention class.
    lone = _ctx(scorer, "pkg.blocks.scorer")
    assert not lone.attention_class(lone.keras_classes[0])


def test_project_registries_win_over_installed():
    factory = '''
    from .mlp import Mlp
    FFN_REGISTRY = {"only": {"class": Mlp, "required": [], "optional": {}}}
    def create_ffn_layer(ffn_type, **kwargs):
        return None
    '''
    project = _project({"dl_techniques.layers.ffn.factory": factory})
    ctx = _ctx("x = 1\n", "app.main", project)
    found = regs.find_factory(regs.framework_registries(ctx), "dl_techniques.layers.ffn.create_ffn_layer")
    assert found is not None and found[0].keys == ["only"]
    # Other kinds still come from the installed framework.
    assert regs.registry_of_kind(regs.framework_registries(ctx), "normalization") is not None
    ctx = _ctx("x = 1\n", "app.main", project, factories={"search-installed": False})
    assert regs.registry_of_kind(regs.framework_registries(ctx), "normalization") is None


# --------------------------------------------------------------------------- installed framework
def test_installed_registries_are_read_without_importing():
    code = textwrap.dedent('''
        import sys
        from dlt_lint.registries import installed_registries
        found = {r.kind: r.keys for r in installed_registries()}
        assert {"attention", "ffn", "normalization", "embedding"} <= set(found), found
        loaded = [m for m in sys.modules if m.split(".")[0] in ("keras", "tensorflow", "dl_techniques")]
        assert not loaded, loaded
        print("ok")
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


FACTORIES = {
    "attention": ("dl_techniques.layers.attention.factory", "get_attention_info"),
    "ffn": ("dl_techniques.layers.ffn.factory", "get_ffn_info"),
    "normalization": ("dl_techniques.layers.norms.factory", "get_normalization_info"),
    "embedding": ("dl_techniques.layers.embedding.factory", "get_embedding_info"),
}


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_static_reading_matches_the_runtime_registry(kind):
    pytest.importorskip("keras")
    module_name, info_name = FACTORIES[kind]
    static = {r.kind: r for r in regs.installed_registries()}[kind]
    assert static.module == module_name
    runtime = getattr(importlib.import_module(module_name), info_name)()
    assert static.keys == list(runtime)
    for key, spec in runtime.items():
        entry = static.entries[key]
        cls = spec["class"]
        assert entry.cls is not None
        # The static name is where the class is defined or a public re-export of it.
        owner, _, name = entry.cls.rpartition(".")
        assert name == cls.__name__
        assert getattr(importlib.import_module(owner), name) is cls
        assert entry.required == list(spec["required"])
        assert entry.optional is not None and list(entry.optional) == list(spec["optional"])
        for param, text in entry.optional.items():
            assert regs.literal_value(text) == spec["optional"][param], (key, param)
    if static.literal is not None:
        assert set(static.literal.values) == set(runtime)
