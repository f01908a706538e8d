"""Tests of ``dl_techniques.layers.ffn``: NumPy references, sizing rules, factory, round trips."""

from __future__ import annotations

import inspect
import math
import typing

import keras
import numpy as np
import pytest
from dl_techniques.layers.ffn import (
    FFN_REGISTRY,
    GLUFFN,
    DifferentialFFN,
    FFNType,
    GatedMLP,
    GeGLUFFN,
    MLPBlock,
    ResidualBlock,
    SwiGLUFFN,
    SwinMLP,
    create_ffn,
    create_ffn_from_config,
    create_ffn_layer,
    get_ffn_info,
    swiglu_hidden_dim,
    validate_ffn_config,
)

from tests.framework.roundtrip import assert_roundtrip, random_inputs

ATOL = 1e-5
_erf = np.vectorize(math.erf)


def _np(x) -> np.ndarray:
    if isinstance(x, keras.Variable):
        x = keras.ops.convert_to_tensor(x)
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def dense(x: np.ndarray, layer: keras.layers.Dense) -> np.ndarray:
    out = x @ _np(layer.kernel)
    return out + _np(layer.bias) if layer.bias is not None else out


def _x(shape=(2, 5, 8), seed=0) -> np.ndarray:
    return random_inputs([shape], seed=seed)[0]


# ---------------------------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation,fn", [("gelu", gelu), ("relu", relu)])
def test_mlp_matches_numpy(activation: str, fn) -> None:
    x = _x()
    layer = MLPBlock(hidden_dim=16, output_dim=6, activation=activation, bias_initializer="random_normal")
    out = _np(layer(x))
    expected = dense(fn(dense(x, layer.hidden_proj)), layer.output_proj)
    assert out.shape == (2, 5, 6)
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=ATOL)


def test_mlp_no_bias() -> None:
    layer = MLPBlock(hidden_dim=4, output_dim=3, use_bias=False)
    layer.build((None, 8))
    assert len(layer.trainable_weights) == 2


@pytest.mark.parametrize("cls,fn", [(GLUFFN, sigmoid), (GeGLUFFN, gelu)])
def test_glu_variants_match_numpy(cls, fn) -> None:
    x = _x(seed=1)
    layer = cls(hidden_dim=12, output_dim=8)
    out = _np(layer(x))
    hidden = fn(dense(x, layer.gate_proj)) * dense(x, layer.value_proj)
    np.testing.assert_allclose(out, dense(hidden, layer.output_proj), atol=ATOL, rtol=ATOL)


def test_swiglu_matches_numpy() -> None:
    x = _x(seed=2)
    layer = SwiGLUFFN(output_dim=8, hidden_dim=10)
    out = _np(layer(x))
    gate = dense(x, layer.gate_proj)
    hidden = gate * sigmoid(gate) * dense(x, layer.value_proj)
    np.testing.assert_allclose(out, dense(hidden, layer.output_proj), atol=ATOL, rtol=ATOL)
    assert layer.gate_proj.bias is None  # use_bias=False by default


@pytest.mark.parametrize(
    "output_dim,expansion,multiple_of,expected",
    [
        (4096, 4, 256, 11008),  # LLaMA-7B
        (768, 4, 256, 2048),
        (64, 4, 256, 256),
        (64, 4, 32, 192),
        (100, 2, 8, 136),
        (96, 8 / 3, 1, 170),
    ],
)
def test_swiglu_hidden_size(output_dim: int, expansion: float, multiple_of: int, expected: int) -> None:
    assert swiglu_hidden_dim(output_dim, expansion, multiple_of) == expected
    layer = SwiGLUFFN(output_dim=output_dim, ffn_expansion_factor=expansion, ffn_multiple_of=multiple_of)
    assert layer.intermediate_dim == expected and layer.hidden_dim is None
    layer.build((None, 3))
    assert tuple(layer.gate_proj.kernel.shape) == (3, expected)
    assert tuple(layer.output_proj.kernel.shape) == (expected, output_dim)


def test_swiglu_explicit_hidden_dim_wins() -> None:
    layer = SwiGLUFFN(output_dim=8, hidden_dim=24, ffn_multiple_of=256)
    assert layer.intermediate_dim == 24


def test_differential_matches_numpy() -> None:
    x = _x(seed=3)
    layer = DifferentialFFN(hidden_dim=12, output_dim=6)
    out = _np(layer(x))
    positive = gelu(dense(x, layer.positive_proj)) * sigmoid(dense(x, layer.positive_gate))
    negative = gelu(dense(x, layer.negative_proj)) * sigmoid(dense(x, layer.negative_gate))
    np.testing.assert_allclose(out, dense(positive - negative, layer.output_proj), atol=ATOL, rtol=ATOL)


def test_differential_identical_branches_cancel() -> None:
    x = _x(seed=4)
    layer = DifferentialFFN(hidden_dim=6, output_dim=4, bias_initializer="random_normal")
    layer.build(x.shape)
    layer.negative_proj.set_weights(layer.positive_proj.get_weights())
    layer.negative_gate.set_weights(layer.positive_gate.get_weights())
    bias = _np(layer.output_proj.bias)
    np.testing.assert_allclose(_np(layer(x)), np.broadcast_to(bias, (2, 5, 4)), atol=1e-6)


def test_residual_identity_and_projection_shortcuts() -> None:
    x = _x(seed=5)
    same = ResidualBlock(hidden_dim=16, output_dim=8)
    out = _np(same(x))
    branch = dense(relu(dense(x, same.hidden_proj)), same.output_proj)
    np.testing.assert_allclose(out, branch + x, atol=ATOL, rtol=ATOL)
    assert not same.use_projection and not same.shortcut_proj.built

    proj = ResidualBlock(hidden_dim=16, output_dim=6)
    out = _np(proj(x))
    branch = dense(relu(dense(x, proj.hidden_proj)), proj.output_proj)
    np.testing.assert_allclose(out, branch + dense(x, proj.shortcut_proj), atol=ATOL, rtol=ATOL)
    assert proj.use_projection and len(proj.trainable_weights) == 6


def test_swin_mlp_matches_numpy_and_keeps_width() -> None:
    x = _x(seed=6)
    layer = SwinMLP(hidden_dim=12)
    out = _np(layer(x))
    hidden = gelu(x @ _np(layer.hidden_kernel) + _np(layer.hidden_bias))
    expected = hidden @ _np(layer.output_kernel) + _np(layer.output_bias)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=ATOL)
    assert SwinMLP(hidden_dim=12, output_dim=3)(x).shape == (2, 5, 3)
    assert SwinMLP(hidden_dim=4, output_dim=3).compute_output_shape((None, 7, 8)) == (None, 7, 3)


def _layer_norm(x: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def test_gated_mlp_spatial_matches_numpy() -> None:
    x = _x(seed=7)
    layer = GatedMLP(hidden_dim=12, output_dim=8, gate_type="spatial")
    layer.build(x.shape)
    rng = np.random.default_rng(0)
    layer.spatial_kernel.assign(rng.standard_normal((5, 5)).astype("float32") * 0.3)
    out = _np(layer(x))
    hidden = gelu(dense(x, layer.input_proj))
    content, gate = hidden[..., :6], hidden[..., 6:]
    gate = _layer_norm(gate, 1e-6)
    gate = np.einsum("ij,bjd->bid", _np(layer.spatial_kernel), gate) + _np(layer.spatial_bias)[:, None]
    np.testing.assert_allclose(out, dense(content * gate, layer.output_proj), atol=1e-4, rtol=1e-4)
    # Token mixing: changing the last token changes the output at the first position.
    x2 = x.copy()
    x2[:, -1] += 1.0
    assert not np.allclose(_np(layer(x2))[:, 0], out[:, 0], atol=1e-4)


def test_gated_mlp_gate_starts_near_identity() -> None:
    x = _x(seed=8)
    layer = GatedMLP(hidden_dim=8, output_dim=4)
    out = _np(layer(x))
    hidden = gelu(dense(x, layer.input_proj))
    plain = dense(hidden[..., :4], layer.output_proj)  # gate == 1
    np.testing.assert_allclose(out, plain, atol=0.05)
    assert np.abs(_np(layer.spatial_kernel)).max() <= 1e-3


def test_gated_mlp_feature_gate_any_length() -> None:
    layer = GatedMLP(hidden_dim=8, output_dim=4, gate_type="feature")
    assert layer(_x((2, 5, 6))).shape == (2, 5, 4)
    assert layer(_x((3, 9, 6))).shape == (3, 9, 4)
    x = _x((3, 6), seed=9)
    flat = GatedMLP(hidden_dim=8, output_dim=4, gate_type="feature")
    out = _np(flat(x))
    hidden = gelu(dense(x, flat.input_proj))
    gate = dense(_layer_norm(hidden[..., 4:], 1e-6), flat.gate_proj)
    np.testing.assert_allclose(out, dense(hidden[..., :4] * gate, flat.output_proj), atol=ATOL)


def test_gated_mlp_validation() -> None:
    with pytest.raises(ValueError, match="even"):
        GatedMLP(hidden_dim=7, output_dim=4)
    with pytest.raises(ValueError, match="gate_type"):
        GatedMLP(hidden_dim=8, output_dim=4, gate_type="channel")
    with pytest.raises(ValueError, match="seq_len"):
        GatedMLP(hidden_dim=8, output_dim=4).build((None, None, 6))


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (MLPBlock, {"hidden_dim": 0, "output_dim": 4}),
        (MLPBlock, {"hidden_dim": 4, "output_dim": 4, "dropout_rate": 1.0}),
        (GLUFFN, {"hidden_dim": 4, "output_dim": -1}),
        (SwiGLUFFN, {"output_dim": 4, "ffn_multiple_of": 0}),
        (SwiGLUFFN, {"output_dim": 4, "ffn_expansion_factor": 0}),
        (SwinMLP, {"hidden_dim": 4, "output_dim": 0}),
    ],
)
def test_constructor_validation(cls, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        cls(**kwargs)


def test_dropout_only_in_training() -> None:
    layer = MLPBlock(hidden_dim=64, output_dim=4, dropout_rate=0.5)
    x = _x((4, 8), seed=10)
    np.testing.assert_allclose(_np(layer(x)), _np(layer(x, training=False)), atol=1e-6)
    assert not np.allclose(_np(layer(x, training=True)), _np(layer(x)), atol=1e-4)


# ---------------------------------------------------------------------------------------------
# Factory
# ---------------------------------------------------------------------------------------------


def test_create_ffn_layer_and_name() -> None:
    layer = create_ffn_layer("glu", hidden_dim=8, output_dim=4, name="gate")
    assert isinstance(layer, GLUFFN) and layer.name == "gate"
    assert isinstance(create_ffn_from_config({"type": "geglu", "hidden_dim": 8, "output_dim": 4}), GeGLUFFN)


def test_create_ffn_derives_hidden_dim() -> None:
    mlp = create_ffn(ffn_type="mlp", output_dim=16, ffn_expansion_factor=4, activation="relu")
    assert isinstance(mlp, MLPBlock) and mlp.hidden_dim == 64 and mlp.output_dim == 16
    swin = create_ffn(ffn_type="swin_mlp", output_dim=6, ffn_expansion_factor=2)
    assert swin.hidden_dim == 12 and swin.output_dim == 6
    explicit = create_ffn(ffn_type="residual", output_dim=8, hidden_dim=5)
    assert explicit.hidden_dim == 5
    swiglu = create_ffn(ffn_type="swiglu", output_dim=96, ffn_expansion_factor=4, ffn_multiple_of=8)
    assert isinstance(swiglu, SwiGLUFFN) and swiglu.hidden_dim is None
    assert swiglu.ffn_expansion_factor == 4 and swiglu.intermediate_dim == 256  # int(256.0) -> 256
    with pytest.raises(ValueError, match="Did you mean 'swiglu'"):
        create_ffn(ffn_type="swiglue", output_dim=8)


def test_factory_unknown_type_suggests() -> None:
    with pytest.raises(ValueError) as info:
        create_ffn_layer("swiglue", output_dim=8)
    message = str(info.value)
    assert "Did you mean 'swiglu'" in message
    for ffn_type in FFN_REGISTRY:
        assert ffn_type in message


def test_factory_missing_required() -> None:
    with pytest.raises(ValueError, match=r"missing required parameter\(s\) \['hidden_dim'\]"):
        create_ffn_layer("mlp", output_dim=8)


def test_factory_unknown_keyword() -> None:
    with pytest.raises(ValueError) as info:
        create_ffn_layer("mlp", hidden_dim=8, output_dim=8, dropout=0.1)
    assert "['dropout']" in str(info.value) and "Did you mean 'dropout_rate'" in str(info.value)


def test_factory_value_checks_and_config() -> None:
    with pytest.raises(ValueError, match="dropout_rate"):
        validate_ffn_config("mlp", hidden_dim=8, output_dim=8, dropout_rate=1.5)
    with pytest.raises(ValueError, match="hidden_dim"):
        validate_ffn_config("glu", hidden_dim=0, output_dim=8)
    with pytest.raises(ValueError, match="even"):
        create_ffn_layer("gated_mlp", hidden_dim=7, output_dim=8)  # rejected by the class
    with pytest.raises(ValueError, match="'type'"):
        create_ffn_from_config({"hidden_dim": 8})
    config = {"type": "mlp", "hidden_dim": 8, "output_dim": 4, "name": "m"}
    assert create_ffn_from_config(config).name == "m"
    assert config == {"type": "mlp", "hidden_dim": 8, "output_dim": 4, "name": "m"}
    validate_ffn_config("swiglu", output_dim=8, dtype="float32", trainable=False)


def test_registry_matches_class_signatures_and_literal() -> None:
    assert set(typing.get_args(FFNType)) == set(FFN_REGISTRY)
    info = get_ffn_info()
    assert set(info) == set(FFN_REGISTRY)
    for ffn_type, entry in info.items():
        assert set(entry) == {"class", "required", "optional", "description"}
        params = {
            name: p
            for name, p in inspect.signature(entry["class"].__init__).parameters.items()
            if name not in ("self", "kwargs")
        }
        without_default = [n for n, p in params.items() if p.default is inspect.Parameter.empty]
        assert entry["required"] == without_default, ffn_type
        assert entry["optional"] == {n: p.default for n, p in params.items() if n not in without_default}


# ---------------------------------------------------------------------------------------------
# Round trips over every registered type
# ---------------------------------------------------------------------------------------------

ROUNDTRIP_CASES = {
    "mlp": lambda: create_ffn_layer("mlp", hidden_dim=16, output_dim=6),
    "glu": lambda: create_ffn_layer("glu", hidden_dim=16, output_dim=6),
    "geglu": lambda: create_ffn_layer("geglu", hidden_dim=16, output_dim=6),
    "swiglu": lambda: create_ffn_layer("swiglu", output_dim=6, ffn_multiple_of=8, kernel_regularizer="l2"),
    "differential": lambda: create_ffn_layer("differential", hidden_dim=12, output_dim=6),
    "residual": lambda: create_ffn_layer("residual", hidden_dim=12, output_dim=6),
    "swin_mlp": lambda: create_ffn_layer("swin_mlp", hidden_dim=12),
    "gated_mlp": lambda: create_ffn_layer("gated_mlp", hidden_dim=12, output_dim=6),
}


def test_roundtrip_cases_cover_registry() -> None:
    assert set(ROUNDTRIP_CASES) == set(FFN_REGISTRY)


@pytest.mark.parametrize("ffn_type", sorted(FFN_REGISTRY))
def test_roundtrip(ffn_type: str, tmp_path) -> None:
    assert_roundtrip(ROUNDTRIP_CASES[ffn_type], random_inputs([(2, 5, 8)], seed=11), tmp_path)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ResidualBlock(hidden_dim=4, output_dim=8),  # identity shortcut
        lambda: GatedMLP(hidden_dim=4, output_dim=8, gate_type="feature"),
    ],
    ids=["residual_identity", "gated_mlp_feature"],
)
def test_roundtrip_variants(make, tmp_path) -> None:
    assert_roundtrip(make, random_inputs([(2, 5, 8)], seed=12), tmp_path)
