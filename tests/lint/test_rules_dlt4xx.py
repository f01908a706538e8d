"""DLT401-DLT406 beyond the embedded examples: behaviour of the fixed code (the fixes must not
change what a layer computes), Keras defaults, cross-file registries, and the framework."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import numpy as np
import pytest
from dlt_lint import registries as regs
from dlt_lint.config import LintConfig
from dlt_lint.context import FileContext
from dlt_lint.index import ProjectIndex
from dlt_lint.linter import fix_source, lint_source, parse_source
from dlt_lint.rule import all_rules
from dlt_lint.rules.dlt402_normalization import KERAS_NORMS

RULES = all_rules()
REPO = Path(__file__).resolve().parents[2]


def _cfg(**options) -> LintConfig:
    cfg = LintConfig(options=options)
    cfg.select = ["ALL"]
    cfg.preview = True
    return cfg


def _project(files: dict[str, str]) -> ProjectIndex:
    parsed = {m: parse_source(textwrap.dedent(s), f"{m.replace('.', '/')}.py", m) for m, s in files.items()}
    index = ProjectIndex([p.summary for p in parsed.values()])
    for module, p in parsed.items():
        ctx = FileContext(p.source, p.tree, f"{module}.py", p.sem, index, _cfg())
        for rule in RULES.values():
            if rule.collect_key:
                facts = rule.collect(p.tree, ctx)
                if facts is not None:
                    p.summary.extras[rule.collect_key] = facts
    return index


def _lint(code: str, source: str, module: str = "app.layers", project: ProjectIndex | None = None, **options):
    return lint_source(textwrap.dedent(source), f"{module.replace('.', '/')}.py", _cfg(**options), project,
                       module=module, rules=[RULES[code]])


def _fix(code: str, source: str, module: str = "app.layers", unsafe: bool = False,
         project: ProjectIndex | None = None) -> str:
    result = fix_source(textwrap.dedent(source), f"{module.replace('.', '/')}.py", _cfg(), project,
                        module=module, unsafe=unsafe, rules=[RULES[code]])
    assert result.error is None, result.error
    assert not [d for d in result.remaining if d.fix is not None], result.remaining
    return result.source


def _exec(source: str) -> dict:
    namespace: dict = {"__name__": "dlt_fixture"}
    exec(compile(source, "<fixture>", "exec"), namespace)  # noqa: S102 - test fixture code
    return namespace


def _copy_and_compare(before, after, x, training=False):
    import keras

    before(x)
    after(x)
    assert len(before.weights) == len(after.weights)
    for src, dst in zip(before.weights, after.weights):
        assert tuple(src.shape) == tuple(dst.shape)
    after.set_weights([np.random.default_rng(i).normal(size=w.shape).astype("float32") + 1.0
                       for i, w in enumerate(before.get_weights())])
    before.set_weights(after.get_weights())
    out_a = keras.ops.convert_to_numpy(before(x, training=training))
    out_b = keras.ops.convert_to_numpy(after(x, training=training))
    np.testing.assert_allclose(out_a, out_b, rtol=1e-6, atol=1e-6)
    return out_a


# --------------------------------------------------------------------------- DLT402
def test_keras_normalization_defaults_match_installed_keras():
    keras = pytest.importorskip("keras")
    for qualname, spec in KERAS_NORMS.items():
        cls = getattr(keras.layers, qualname.rpartition(".")[2])
        params = inspect.signature(cls.__init__).parameters
        names = [p for p in params if p not in ("self", "kwargs")]
        assert list(spec.positional) == names[: len(spec.positional)], qualname
        for name, text in spec.defaults.items():
            assert params[name].default == regs.literal_value(text), (qualname, name)


NORM_LAYER = """
import keras
from keras import layers as L


class Block(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = L.Dense(8)
        self.ln = L.LayerNormalization(epsilon=0.5)
        self.ln_default = keras.layers.LayerNormalization(center=False)
        self.bn = L.BatchNormalization(-1, 0.5)
        self.gn = L.GroupNormalization(
            groups=2,
        )
        self.rms = L.RMSNormalization(axis=-1, epsilon=0.25)

    def call(self, x, training=None):
        h = self.proj(x)
        y = self.ln(h) + self.ln_default(h)
        y = y + self.bn(h, training=training) + self.gn(h) + self.rms(h)
        return y
"""


def test_dlt402_fix_keeps_outputs():
    pytest.importorskip("keras")
    pytest.importorskip("dl_techniques.layers.norms")
    assert len(_lint("DLT402", NORM_LAYER)) == 5
    fixed = _fix("DLT402", NORM_LAYER)
    assert "L.LayerNormalization" not in fixed and "BatchNormalization" not in fixed
    assert 'create_normalization_layer("layer_norm", epsilon=0.5)' in fixed
    assert 'create_normalization_layer("layer_norm", center=False, epsilon=1e-3)' in fixed
    assert 'create_normalization_layer("batch_norm", axis=-1, momentum=0.5, epsilon=1e-3)' in fixed
    assert 'create_normalization_layer("rms_norm", axis=-1, epsilon=0.25)' in fixed
    assert '        self.gn = create_normalization_layer(\n            "group_norm",\n' \
           '            groups=2,\n            epsilon=1e-3,\n        )' in fixed
    before = _exec(textwrap.dedent(NORM_LAYER))["Block"]()
    after = _exec(fixed)["Block"]()
    # Small inputs make the epsilons matter: a wrong epsilon changes the outputs visibly.
    x = np.random.default_rng(0).normal(size=(4, 3, 8)).astype("float32") * 0.1
    _copy_and_compare(before, after, x, training=False)
    _copy_and_compare(before, after, x, training=True)


def test_dlt402_epsilon_matters():
    """Guard for the test above: dropping the explicit epsilon would change the outputs."""
    pytest.importorskip("keras")
    from dl_techniques.layers.norms import create_normalization_layer
    import keras

    x = np.random.default_rng(1).normal(size=(2, 8)).astype("float32") * 0.01
    a = keras.ops.convert_to_numpy(keras.layers.LayerNormalization()(x))
    b = keras.ops.convert_to_numpy(create_normalization_layer("layer_norm")(x))
    c = keras.ops.convert_to_numpy(create_normalization_layer("layer_norm", epsilon=1e-3)(x))
    assert np.abs(a - b).max() > 1e-2
    np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-6)


def test_dlt402_no_fix_without_norms_registry():
    source = """
    import keras

    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.norm = keras.layers.LayerNormalization()
    """
    found = _lint("DLT402", source, factories={"search-installed": False})
    assert len(found) == 1 and found[0].fix is None


def test_dlt402_reuses_an_existing_factory_import():
    source = """
    import keras
    from dl_techniques.layers.norms.factory import create_normalization_layer as make_norm

    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a = make_norm("rms_norm")
            self.b = keras.layers.LayerNormalization(axis=-1)
    """
    fixed = _fix("DLT402", source)
    assert fixed.count("import") == 2
    assert 'self.b = make_norm("layer_norm", axis=-1, epsilon=1e-3)' in fixed


def test_dlt402_crlf_file():
    source = textwrap.dedent("""
    import keras

    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.norm = keras.layers.BatchNormalization(
                momentum=0.9,
            )
    """).replace("\n", "\r\n")
    result = fix_source(source, "app/layers.py", _cfg(), module="app.layers", rules=[RULES["DLT402"]])
    assert result.error is None
    assert "\r\n" in result.source and "\n" not in result.source.replace("\r\n", "")
    assert '(\r\n            "batch_norm",\r\n            momentum=0.9,\r\n            epsilon=1e-3,\r\n        )' \
        in result.source


# --------------------------------------------------------------------------- DLT401
SOFTMAX_LAYER = """
import keras
from keras import ops


class TinyAttention(keras.layers.Layer):
    def __init__(self, dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.num_heads = num_heads
        self.query_proj = keras.layers.Dense(dim)
        self.key_proj = keras.layers.Dense(dim)

    def build(self, input_shape):
        self.query_proj.build(input_shape)
        self.key_proj.build(input_shape)
        super().build(input_shape)

    def call(self, x):
        q = self.query_proj(x)
        k = self.key_proj(x)
        scores = ops.matmul(q, ops.transpose(k, (0, 2, 1))) / (self.dim ** 0.5)
        weights = ops.softmax(scores, axis=-1)
        return ops.matmul(weights, x)

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim, "num_heads": self.num_heads})
        return config
"""


def test_dlt401_fix_keeps_outputs_and_round_trips(tmp_path):
    keras = pytest.importorskip("keras")
    pytest.importorskip("dl_techniques.layers.activations")
    fixed = _fix("DLT401", SOFTMAX_LAYER, unsafe=True)
    assert "ops.softmax" not in fixed
    assert "self.score_activation.build(None)\n        super().build(input_shape)" in fixed
    # Not applied without --unsafe-fixes.
    safe_only = fix_source(textwrap.dedent(SOFTMAX_LAYER), "app/layers.py", _cfg(), module="app.layers",
                           rules=[RULES["DLT401"]])
    assert safe_only.source == textwrap.dedent(SOFTMAX_LAYER) and len(safe_only.remaining) == 1
    before_cls = _exec(textwrap.dedent(SOFTMAX_LAYER))["TinyAttention"]
    after_ns = _exec(fixed)
    after_cls = keras.saving.register_keras_serializable(package="dlt_lint_tests")(after_ns["TinyAttention"])
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    before, after = before_cls(8, 2), after_cls(8, 2)
    out = _copy_and_compare(before, after, x)
    # The fixed layer saves and loads in the .keras format with identical outputs.
    inputs = keras.Input((5, 8))
    model = keras.Model(inputs, after_cls(8, 2, name="attn")(inputs))
    model.get_layer("attn").set_weights(after.get_weights())
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), out, rtol=1e-6, atol=1e-6)
    assert any(type(layer).__name__ == "ProbabilityOutput" for layer in loaded.get_layer("attn")._layers)


def test_dlt401_outside_attention_class_and_fix_twice():
    head = """
    import keras
    from keras import ops

    class Head(keras.layers.Layer):
        def call(self, x):
            return ops.softmax(x)
    """
    assert _lint("DLT401", head) == []
    # Inside an attention package every Keras class is an attention class.
    assert len(_lint("DLT401", head, module="app.attention.head")) == 1


def test_dlt401_attribute_taken_means_no_fix():
    source = """
    import keras

    class BusyAttention(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.score_activation = keras.layers.Dense(2)

        def call(self, x):
            return keras.ops.softmax(self.score_activation(x))
    """
    (found,) = _lint("DLT401", source)
    assert found.fix is None


def test_dlt401_staticmethod_has_no_self():
    source = """
    import keras

    class StaticAttention(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        @staticmethod
        def normalise(scores):
            return keras.ops.softmax(scores)
    """
    (found,) = _lint("DLT401", source)
    assert found.fix is None


# --------------------------------------------------------------------------- DLT403 / DLT404
def test_rope_and_table_do_not_double_report():
    source = """
    import keras
    from keras import ops

    class Rope(keras.layers.Layer):
        def call(self, x, positions):
            inv_freq = 1.0 / (10000 ** (ops.arange(0, 8, 2) / 8))
            angles = positions[:, None] * inv_freq
            table = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)
            x1, x2 = ops.split(x, 2, axis=-1)
            return x * ops.cos(angles) + ops.concatenate([-x2, x1], axis=-1) * ops.sin(angles) + table
    """
    assert len(_lint("DLT403", source)) == 1
    assert _lint("DLT404", source) == []


def test_framework_rotary_helpers_are_not_hand_written_rope():
    """The framework's RoPE layers call the shared helper of the embedding package."""
    for name in ("rotary_position_embedding.py", "continuous_rope.py", "dual_rotary_position_embedding.py"):
        path = REPO / "framework/dl_techniques/layers/embedding" / name
        if not path.exists():
            continue
        module = f"dl_techniques.layers.embedding.{path.stem}"
        assert _lint("DLT403", path.read_text(), module=module) == [], name
        assert _lint("DLT404", path.read_text(), module=module) == [], name


# --------------------------------------------------------------------------- DLT406
FACTORY = """
import keras


class Conv(keras.layers.Layer):
    pass


BLOCK_REGISTRY = {
    "conv": {"class": Conv, "required": ["filters"], "optional": {"kernel_size": 3}},
    "depthwise": {"class": Conv, "required": [], "optional": {}},
}


def create_block_layer(block_type, name=None, **kwargs):
    return BLOCK_REGISTRY[block_type]["class"](**kwargs)
"""


def test_dlt406_cross_file_registry():
    project = _project({"proj.blocks.factory": FACTORY})
    caller = """
    from proj.blocks import create_block_layer
    from proj.blocks.factory import create_block_layer as make

    a = create_block_layer("conv", filters=4)
    b = create_block_layer("cnov", filters=4)
    c = make("conv")
    d = make("conv", name="x", **{"filters": 2})
    e = make("conv", "named")
    """
    found = _lint("DLT406", caller, module="proj.app", project=project)
    assert [(d.start.row, d.message) for d in found] == [
        (6, "unknown block type 'cnov'; did you mean 'conv'?"),
        (7, "create_block_layer('conv') is missing required parameter(s): filters"),
    ]
    fixed = _fix("DLT406", caller, module="proj.app", project=project)
    assert 'b = create_block_layer("conv", filters=4)' in fixed


def test_dlt406_unknown_framework_means_silence():
    source = """
    from dl_techniques.layers.ffn import create_ffn_layer

    ffn = create_ffn_layer("swiglue", output_dim=8)
    """
    assert len(_lint("DLT406", source)) == 1
    assert _lint("DLT406", source, factories={"search-installed": False}) == []


def test_dlt406_no_close_match_lists_the_types():
    source = """
    from dl_techniques.layers.norms import create_normalization_layer

    n = create_normalization_layer("zzz")
    """
    (found,) = _lint("DLT406", source)
    assert "registered types: layer_norm, " in found.message and found.fix is None


# --------------------------------------------------------------------------- the framework
FAMILY_CODES = [c for c in RULES if c[:4] in ("DLT4", "DLT5", "DLT6")]


def test_framework_is_clean_under_the_project_configuration():
    """Zero DLT4xx/DLT5xx/DLT6xx diagnostics on the bundled framework (with the repository's
    per-file-ignores), linted as one project so cross-file rules see the factories."""
    root = REPO / "framework" / "dl_techniques"
    config = LintConfig.load(REPO / "pyproject.toml")
    config.preview = True
    rules = [RULES[c] for c in FAMILY_CODES]
    files = sorted(root.rglob("*.py"))
    parsed = {}
    for path in files:
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_pkg else parts)
        parsed[path] = (parse_source(path.read_text(), str(path), module, is_pkg), module, is_pkg)
    index = ProjectIndex([p.summary for p, _, _ in parsed.values()])
    for path, (p, module, _) in parsed.items():
        facts = regs.collect(p.tree, FileContext(p.source, p.tree, str(path), p.sem, index, config))
        if facts is not None:
            p.summary.extras[regs.COLLECT_KEY] = facts
    found = []
    for path, (p, module, is_pkg) in parsed.items():
        found += lint_source(p.source, str(path), config, index, module, is_pkg, rules=rules, parsed=p)
    assert not found, "\n".join(f"{d.filename}:{d.start.row}: {d.code} {d.message}" for d in found)


@pytest.mark.parametrize("given, key, typo", [
    ("swiglue", "swiglu", True), ("layernorm", "layer_norm", True), ("rms_nrom", "rms_norm", True),
    ("sinusoidal", "scalar_sinusoidal", False), ("mlp", "glu", False), ("rope", "dual_rope", False),
])
def test_dlt406_fixes_typos_only(given, key, typo):
    """The safe DLT406 fix replaces a misspelt type, never a different registered type that
    merely contains the given name."""
    from dlt_lint.rules.dlt406_factory_call import is_typo_of

    assert is_typo_of(given, key) is typo


def test_dlt401_float32_softmax_stays_float32_under_mixed_precision():
    """Scores cast to float32 before the softmax: the fixed layer still normalises them in
    float32 when the global policy is mixed_float16 (its ProbabilityOutput gets dtype float32)."""
    keras = pytest.importorskip("keras")
    pytest.importorskip("dl_techniques.layers.activations")
    source = SOFTMAX_LAYER.replace("weights = ops.softmax(scores, axis=-1)",
                                   "scores = ops.cast(scores, \"float32\")\n"
                                   "        weights = ops.softmax(scores, axis=-1)")
    fixed = _fix("DLT401", source, unsafe=True)
    assert 'dtype="float32"' in fixed
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = _exec(fixed)["TinyAttention"](8, 2)
        x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
        layer(x)
        scores = keras.ops.cast(np.random.default_rng(1).normal(size=(2, 5, 5)), "float32")
        probs = layer.score_activation(scores)
        assert keras.backend.standardize_dtype(probs.dtype) == "float32"
        np.testing.assert_allclose(keras.ops.convert_to_numpy(probs),
                                   keras.ops.convert_to_numpy(keras.ops.softmax(scores, axis=-1)), rtol=1e-6)
    finally:
        keras.config.set_dtype_policy(previous)
