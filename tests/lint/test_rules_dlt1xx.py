"""DLT101-DLT105 beyond the embedded examples: the renaming fixes are applied together to a
working attention layer, and the renamed layer must compute, configure and round-trip exactly
like the original under the new names."""

from __future__ import annotations

import textwrap

import keras
import numpy as np
import pytest
from dlt_lint.config import LintConfig
from dlt_lint.linter import fix_source, lint_source
from dlt_lint.rule import all_rules

RULES = all_rules()
NAMING = [RULES[c] for c in ("DLT101", "DLT102", "DLT103", "DLT104", "DLT105")]


def _config(options: dict | None = None) -> LintConfig:
    cfg = LintConfig(options=dict(options or {}))
    cfg.select = ["ALL"]
    cfg.preview = True
    return cfg


def _lint(source: str, options: dict | None = None, path: str = "snippet.py"):
    module = path.removesuffix(".py").replace("/", ".")
    return lint_source(textwrap.dedent(source), path, _config(options), module=module,
                       rules=NAMING)


def _fix(source: str, unsafe: bool = True) -> str:
    result = fix_source(textwrap.dedent(source), "snippet.py", _config(), module="snippet",
                        unsafe=unsafe, rules=NAMING)
    assert result.error is None, result.error
    return result.source


LEGACY = '''
import keras
from keras import ops


class TinyAttention(keras.layers.Layer):
    """Multi-head attention with legacy argument and attribute names."""

    def __init__(self, units, heads=2, key_dim=None, attn_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if units % heads:
            raise ValueError("units must be divisible by heads")
        self.units = units
        self.heads = heads
        self.key_dim = key_dim or units // heads
        self.attn_dropout = attn_dropout
        self.w_q = keras.layers.Dense(heads * self.key_dim, name="w_q")
        self.w_k = keras.layers.Dense(heads * self.key_dim)
        self.w_v = keras.layers.Dense(heads * self.key_dim)
        self.w_o = keras.layers.Dense(units)
        self.dropout = keras.layers.Dropout(attn_dropout)

    def build(self, input_shape):
        for layer in (self.w_q, self.w_k, self.w_v):
            layer.build(input_shape)
        self.w_o.build((*input_shape[:-1], self.heads * self.key_dim))
        super().build(input_shape)

    def call(self, x, training=None):
        b, n = ops.shape(x)[0], ops.shape(x)[1]

        def split(t):
            return ops.transpose(ops.reshape(t, (b, n, self.heads, self.key_dim)), (0, 2, 1, 3))

        q, k, v = split(self.w_q(x)), split(self.w_k(x)), split(self.w_v(x))
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / self.key_dim ** 0.5
        weights = self.dropout(ops.softmax(scores), training=training)
        out = ops.transpose(ops.matmul(weights, v), (0, 2, 1, 3))
        return self.w_o(ops.reshape(out, (b, n, self.heads * self.key_dim)))

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "heads": self.heads, "key_dim": self.key_dim,
                       "attn_dropout": self.attn_dropout})
        return config


def make():
    return TinyAttention(units=8, heads=2, attn_dropout=0.0)
'''


def _load(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "tiny_attention.py", "exec"), namespace)
    return namespace


def test_every_legacy_name_is_reported_once():
    found = sorted((d.code, d.message.split("`")[3]) for d in _lint(LEGACY))
    assert found == [("DLT101", "units"), ("DLT102", "heads"), ("DLT103", "key_dim"),
                     ("DLT104", "attn_dropout"), ("DLT105", "w_k"), ("DLT105", "w_o"),
                     ("DLT105", "w_q"), ("DLT105", "w_v")]


def test_safe_mode_changes_nothing():
    assert _fix(LEGACY, unsafe=False) == textwrap.dedent(LEGACY)


def test_renamed_layer_behaves_like_the_original():
    fixed = _fix(LEGACY)
    assert _lint(fixed) == []
    assert _fix(fixed) == fixed  # fixing twice == once
    assert "def __init__(self, dim, num_heads=2, head_dim=None, dropout_rate=0.0, **kwargs)" in fixed
    assert 'self.query_proj = keras.layers.Dense(num_heads * self.head_dim, name="w_q")' in fixed
    assert "self.dropout = keras.layers.Dropout(dropout_rate)" in fixed  # sub-layer keeps its name
    assert 'raise ValueError("units must be divisible by heads")' in fixed  # text is not code
    assert "return TinyAttention(dim=8, num_heads=2, dropout_rate=0.0)" in fixed

    old_ns, new_ns = _load(textwrap.dedent(LEGACY)), _load(fixed)
    old, new = old_ns["make"](), new_ns["make"]()
    x = np.random.default_rng(0).normal(size=(2, 5, 6)).astype("float32")
    old.build(x.shape)
    new.build(x.shape)
    assert [w.shape for w in new.weights] == [w.shape for w in old.weights]
    new.set_weights(old.get_weights())
    expected = keras.ops.convert_to_numpy(old(x))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(new(x)), expected, rtol=1e-6, atol=1e-6)

    config = new.get_config()
    for key in ("dim", "num_heads", "head_dim", "dropout_rate"):
        assert key in config
    for key in ("units", "heads", "key_dim", "attn_dropout"):
        assert key not in config
    clone = type(new).from_config(config)
    clone.build(x.shape)
    clone.set_weights(new.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(x)), expected, rtol=1e-6, atol=1e-6)
    assert {"query_proj", "key_proj", "value_proj", "output_proj"} <= set(vars(new))


@pytest.mark.parametrize(("option", "reported"), [
    (None, False),  # default globs: *Channel*
    (["Mixer*"], True),  # replaced globs
    ("Channel*", False),  # a single string is one glob
    ([], True),  # no carve-out at all
])
def test_allow_channels_option(option, reported):
    src = """
        import keras

        class ChannelAttention(keras.layers.Layer):
            def __init__(self, channels, **kwargs):
                super().__init__(**kwargs)
    """
    options = {} if option is None else {"naming": {"allow-channels": option}}
    assert bool(_lint(src, options)) is reported


def test_non_attention_and_non_keras_classes_are_ignored():
    src = """
        import keras

        class FeedForward(keras.layers.Layer):
            def __init__(self, units, heads, dropout=0.1, key_dim=8, **kwargs):
                super().__init__(**kwargs)
                self.w_q = keras.layers.Dense(units)

        class Attention:
            def __init__(self, units, heads, dropout=0.1):
                self.w_q = keras.layers.Dense(units)
    """
    assert _lint(src) == []


def test_attention_by_module_path():
    src = """
        import keras

        class Mixer(keras.layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
    """
    assert _lint(src) == []
    found = _lint(src, path="dl_techniques/layers/attention/mixer.py")
    assert [d.code for d in found] == ["DLT101"]


def test_inherited_keras_base_across_the_file():
    src = """
        from keras import layers as L

        class Base(L.Layer):
            pass

        class RingAttention(Base):
            def __init__(self, n_heads, **kwargs):
                super().__init__(**kwargs)
    """
    found = _lint(src)
    assert [(d.code, d.start.row, d.start.column) for d in found] == [("DLT102", 8, 23)]


@pytest.mark.parametrize("body", [
    "self.units = units\n        self.extra = locals()",  # dynamic access to the locals
    "self.units = units\n        self.dim = 3",  # the new attribute is taken
    "self.units = units\n        dim = units",  # the new name is a local variable
    "self.units = units\n        f = lambda units: units",  # rebound in a nested scope
    "super().__init__(units, **kwargs)",  # forwarded to the base class
])
def test_rename_skipped_when_it_cannot_be_done_safely(body):
    src = f"""
import keras

class AnyAttention(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        {body}
"""
    found = _lint(src)
    assert [d.code for d in found] == ["DLT101"] and found[0].fix is None
