"""Tests of ``TransformerLayer`` and ``StochasticDepth``."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dl_techniques.layers.attention import (
    DifferentialAttention,
    GroupedQueryAttention,
    MultiHeadAttention,
    WindowAttention,
)
from dl_techniques.layers.ffn import MLPBlock, SwiGLUFFN
from dl_techniques.layers.norms import RMSNorm
from dl_techniques.layers.transformers import StochasticDepth, TransformerLayer
from tests.framework.roundtrip import assert_roundtrip

HIDDEN, HEADS, INTER, SEQ, BATCH = 16, 4, 32, 6, 2


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _inputs(shape=(BATCH, SEQ, HIDDEN), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _layer_norm(x, layer):
    gamma, beta = (_np(w) for w in layer.weights)
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + layer.epsilon) * gamma + beta


def test_defaults_build_the_expected_components():
    layer = TransformerLayer(hidden_size=HIDDEN, num_heads=HEADS, intermediate_size=INTER)
    out = _np(layer(_inputs()))
    assert out.shape == (BATCH, SEQ, HIDDEN)
    assert isinstance(layer.attention, MultiHeadAttention)
    assert isinstance(layer.ffn, MLPBlock)
    assert isinstance(layer.attention_norm, keras.layers.LayerNormalization)
    assert layer.attention.use_bias and layer.attention.dim == HIDDEN
    assert layer.ffn.hidden_dim == INTER and layer.ffn.output_dim == HIDDEN
    assert layer.attention_stochastic_depth is None and layer.ffn_stochastic_depth is None


@pytest.mark.parametrize("position", ["pre", "post"])
def test_normalization_position_wiring(position):
    x = _inputs()
    layer = TransformerLayer(HIDDEN, HEADS, INTER, normalization_position=position)
    layer(x)
    attn, ffn = layer.attention, layer.ffn
    norm1, norm2 = layer.attention_norm, layer.ffn_norm
    # Non-trivial norm parameters so that the two orders really differ.
    for norm in (norm1, norm2):
        norm.set_weights([w + np.random.default_rng(5).standard_normal(w.shape).astype("float32")
                          for w in norm.get_weights()])
    out = _np(layer(x))
    if position == "pre":
        h = x + _np(attn(_layer_norm(x, norm1)))
        expected = h + _np(ffn(_layer_norm(h, norm2)))
    else:
        h = _layer_norm(x + _np(attn(x)), norm1)
        expected = _layer_norm(h + _np(ffn(h)), norm2)
    np.testing.assert_allclose(out, expected, atol=1e-5, rtol=1e-5)


def test_pre_and_post_norm_differ_with_the_same_weights():
    x = _inputs()
    pre = TransformerLayer(HIDDEN, HEADS, INTER, normalization_position="pre")
    post = TransformerLayer(HIDDEN, HEADS, INTER, normalization_position="post")
    pre(x)
    post(x)
    post.set_weights(pre.get_weights())
    assert not np.allclose(_np(pre(x)), _np(post(x)), atol=1e-3)
    # Post-norm output rows are layer-normalised (unit gamma, zero beta at init).
    np.testing.assert_allclose(_np(post(x)).mean(-1), 0.0, atol=1e-5)


def test_guide_modern_config_swiglu_rms_norm():
    config = {
        "hidden_size": 32,
        "num_heads": 4,
        "intermediate_size": 64,
        "normalization_type": "rms_norm",
        "normalization_position": "pre",
        "ffn_type": "swiglu",
        "attention_type": "multi_head",
        "use_stochastic_depth": False,
    }
    layer = TransformerLayer(**config)
    x = _inputs((BATCH, SEQ, 32))
    out = _np(layer(x))
    assert out.shape == (BATCH, SEQ, 32) and np.all(np.isfinite(out))
    assert isinstance(layer.ffn, SwiGLUFFN) and layer.ffn.intermediate_dim == 64
    assert isinstance(layer.attention_norm, RMSNorm) and isinstance(layer.ffn_norm, RMSNorm)
    inputs = keras.Input((SEQ, 32))
    model = keras.Model(inputs, keras.layers.Dense(10)(TransformerLayer(**config)(inputs)))
    assert model.predict(x, verbose=0).shape == (BATCH, SEQ, 10)


def test_window_size_and_attention_args_reach_the_attention():
    layer = TransformerLayer(HIDDEN, HEADS, INTER, attention_type="window", window_size=3)
    assert isinstance(layer.attention, WindowAttention) and layer.attention.window_size == 3
    assert _np(layer(_inputs())).shape == (BATCH, SEQ, HIDDEN)

    gqa = TransformerLayer(HIDDEN, HEADS, INTER, attention_type="group_query",
                           attention_args={"num_kv_heads": 2, "causal": True, "use_bias": False},
                           attention_dropout_rate=0.1)
    assert isinstance(gqa.attention, GroupedQueryAttention)
    assert gqa.attention.num_kv_heads == 2 and gqa.attention.causal
    assert gqa.attention.use_bias is False and gqa.attention.dropout_rate == 0.1


def test_causal_attention_args_block_the_future():
    layer = TransformerLayer(HIDDEN, HEADS, INTER, attention_type="differential",
                             attention_args={"causal": True}, normalization_type="rms_norm")
    assert isinstance(layer.attention, DifferentialAttention)
    x = _inputs()
    base = _np(layer(x))
    changed = x.copy()
    changed[:, 3:] += 1.0
    out = _np(layer(changed))
    np.testing.assert_allclose(out[:, :3], base[:, :3], atol=1e-5)
    assert not np.allclose(out[:, 3:], base[:, 3:], atol=1e-4)


def test_padding_mask_is_forwarded():
    layer = TransformerLayer(HIDDEN, HEADS, INTER)
    x = _inputs()
    pad = np.ones((BATCH, SEQ), dtype=bool)
    pad[0, -2:] = False
    base = _np(layer(x, mask=pad))
    changed = x.copy()
    changed[0, -2:] += 3.0
    np.testing.assert_allclose(_np(layer(changed, mask=pad))[pad], base[pad], atol=1e-5)


def test_ffn_args_and_ffn_defaults_per_type():
    layer = TransformerLayer(HIDDEN, HEADS, INTER, ffn_type="geglu", activation="relu",
                             ffn_args={"dropout_rate": 0.2})
    assert layer.ffn.hidden_dim == INTER and layer.ffn.dropout_rate == 0.2
    assert _np(layer(_inputs())).shape == (BATCH, SEQ, HIDDEN)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"normalization_position": "middle"}, "normalization_position"),
        ({"window_size": 4}, "window_size"),
        ({"attention_type": "nope"}, "Unknown attention type"),
        ({"ffn_type": "swiglue"}, "ffn_type|FFN type"),
        ({"normalization_type": "nope"}, "normalization type"),
        ({"dropout_rate": 1.0}, "dropout_rate"),
        ({"stochastic_depth_rate": -0.1}, "stochastic_depth_rate"),
        ({"attention_args": {"heads": 2}}, "Unknown parameter"),
        ({"num_heads": 5}, "divisible"),
        ({"hidden_size": 0}, "hidden_size"),
    ],
)
def test_invalid_configurations_raise(kwargs, message):
    params = {"hidden_size": HIDDEN, "num_heads": HEADS, "intermediate_size": INTER}
    params.update(kwargs)
    with pytest.raises(ValueError, match=message):
        TransformerLayer(**params)


def test_input_width_must_match_hidden_size():
    layer = TransformerLayer(HIDDEN, HEADS, INTER)
    with pytest.raises(ValueError, match="hidden_size"):
        layer.build((None, SEQ, HIDDEN + 1))


def test_stochastic_depth_is_identity_at_inference_and_drops_samples_in_training():
    layer = StochasticDepth(0.5, seed=1)
    x = np.ones((256, 3, 2), dtype="float32")
    np.testing.assert_array_equal(_np(layer(x)), x)
    np.testing.assert_array_equal(_np(layer(x, training=False)), x)
    out = _np(layer(x, training=True))
    per_sample = out.reshape(256, -1)
    # Each sample is either dropped entirely or scaled by 1 / keep_prob = 2.
    assert set(np.unique(per_sample)) <= {0.0, 2.0}
    assert np.all(per_sample.min(1) == per_sample.max(1))
    assert 0.3 < (per_sample[:, 0] == 0).mean() < 0.7
    np.testing.assert_array_equal(_np(StochasticDepth(0.0)(x, training=True)), x)
    for bad in (1.0, -0.1, True):
        with pytest.raises(ValueError):
            StochasticDepth(bad)


def test_transformer_stochastic_depth_only_acts_in_training():
    x = _inputs((8, SEQ, HIDDEN))
    plain = TransformerLayer(HIDDEN, HEADS, INTER)
    dropped = TransformerLayer(HIDDEN, HEADS, INTER, use_stochastic_depth=True,
                               stochastic_depth_rate=0.5)
    plain(x)
    dropped(x)
    dropped.set_weights(plain.get_weights())
    np.testing.assert_allclose(_np(dropped(x)), _np(plain(x)), atol=1e-6)
    assert isinstance(dropped.attention_stochastic_depth, StochasticDepth)
    assert not np.allclose(_np(dropped(x, training=True)), _np(plain(x)), atol=1e-4)


# ---------------------------------------------------------------------- round trips

TRANSFORMER_CASES = {
    "default": dict(),
    "swiglu_rms_post": dict(ffn_type="swiglu", normalization_type="rms_norm",
                            normalization_position="post", use_bias=False),
    "window_stochastic_depth": dict(attention_type="window", window_size=4,
                                    use_stochastic_depth=True, stochastic_depth_rate=0.2,
                                    dropout_rate=0.1),
    "gqa_causal_geglu": dict(attention_type="group_query",
                             attention_args={"num_kv_heads": 2, "causal": True, "use_rope": True,
                                             "max_seq_len": 32},
                             ffn_type="geglu", ffn_args={"dropout_rate": 0.1}),
    "alibi_dynamic_tanh": dict(attention_type="alibi", normalization_type="dynamic_tanh"),
}


@pytest.mark.parametrize("case", sorted(TRANSFORMER_CASES))
def test_transformer_roundtrip(case, tmp_path):
    kwargs = TRANSFORMER_CASES[case]
    assert_roundtrip(lambda: TransformerLayer(HIDDEN, HEADS, INTER, **kwargs), [_inputs()], tmp_path)


def test_transformer_roundtrip_with_mask_input(tmp_path):
    mask = np.ones((BATCH, SEQ), dtype="float32")
    mask[0, -2:] = 0.0
    assert_roundtrip(lambda: TransformerLayer(HIDDEN, HEADS, INTER, attention_type="linear"),
                     [_inputs(), mask], tmp_path, call=lambda layer, xs: layer(xs[0], mask=xs[1]))


def test_stochastic_depth_roundtrip(tmp_path):
    assert_roundtrip(lambda: StochasticDepth(0.3, seed=4), [_inputs()], tmp_path)
