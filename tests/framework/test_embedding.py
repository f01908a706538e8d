"""Tests of ``dl_techniques.layers.embedding``: NumPy references, factory and round trips."""

from __future__ import annotations

import inspect
import math
import typing

import keras
import numpy as np
import pytest
from dl_techniques.layers.embedding import (
    EMBEDDING_REGISTRY,
    ContinuousRoPE,
    DualRotaryPositionEmbedding,
    EmbeddingType,
    PositionEmbedding,
    RotaryPositionEmbedding,
    SinusoidalPositionEmbedding,
    TokenEmbedding,
    create_embedding_from_config,
    create_embedding_layer,
    get_embedding_info,
    validate_embedding_config,
)

from tests.framework.roundtrip import assert_roundtrip, random_inputs

ATOL = 1e-5


def _np(x) -> np.ndarray:
    if isinstance(x, keras.Variable):
        x = keras.ops.convert_to_tensor(x)
    return np.asarray(keras.ops.convert_to_numpy(x))


def numpy_rope(x: np.ndarray, theta: float, rotary_dim: int, positions: np.ndarray | None = None) -> np.ndarray:
    """Independent reference: rotate planes (i, i + r/2) of the first r features by pos * freq_i."""
    seq_len = x.shape[-2]
    positions = np.arange(seq_len, dtype=np.float64) if positions is None else positions
    half = rotary_dim // 2
    out = x.astype(np.float64).copy()
    for i in range(half):
        freq = theta ** (-2.0 * i / rotary_dim)
        angle = positions * freq  # (seq,)
        c, s = np.cos(angle), np.sin(angle)
        a = x[..., i].astype(np.float64)
        b = x[..., i + half].astype(np.float64)
        out[..., i] = a * c - b * s
        out[..., i + half] = b * c + a * s
    return out


# ---------------------------------------------------------------------------------------------
# RotaryPositionEmbedding
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("percentage,rotary_dim", [(1.0, 8), (0.5, 4), (0.8, 6)])
def test_rope_matches_numpy_reference(percentage: float, rotary_dim: int) -> None:
    x = random_inputs([(2, 3, 6, 8)], seed=1)[0]
    layer = RotaryPositionEmbedding(head_dim=8, max_seq_len=16, rope_theta=100.0, rope_percentage=percentage)
    out = _np(layer(x))
    assert layer.rotary_dim == rotary_dim
    np.testing.assert_allclose(out, numpy_rope(x, 100.0, rotary_dim), atol=ATOL, rtol=ATOL)


def test_rope_preserves_norm_and_position_zero() -> None:
    x = random_inputs([(2, 2, 7, 16)], seed=2)[0]
    out = _np(RotaryPositionEmbedding(head_dim=16, max_seq_len=7)(x))
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(out[:, :, 0], x[:, :, 0], atol=1e-6)  # angle 0 at position 0
    assert not np.allclose(out[:, :, 1:], x[:, :, 1:], atol=1e-3)


def test_rope_dot_product_depends_only_on_position_difference() -> None:
    rng = np.random.default_rng(3)
    seq_len, head_dim = 12, 8
    q0, k0 = rng.standard_normal((2, head_dim)).astype("float32")
    q = np.broadcast_to(q0, (1, 1, seq_len, head_dim)).copy()
    k = np.broadcast_to(k0, (1, 1, seq_len, head_dim)).copy()
    rope = RotaryPositionEmbedding(head_dim=head_dim, max_seq_len=seq_len, rope_theta=50.0)
    qr, kr = _np(rope(q))[0, 0], _np(rope(k))[0, 0]
    scores = qr @ kr.T  # scores[m, n] = <R_m q0, R_n k0>
    for shift in (1, 3, 5):
        np.testing.assert_allclose(scores[shift:, shift:], scores[:-shift, :-shift], atol=1e-4)
    # ... but the score does change with the distance itself.
    assert abs(scores[0, 1] - scores[0, 4]) > 1e-3


def test_rope_percentage_leaves_tail_untouched() -> None:
    x = random_inputs([(1, 2, 5, 10)], seed=4)[0]
    layer = RotaryPositionEmbedding(head_dim=10, max_seq_len=8, rope_percentage=0.5)
    out = _np(layer(x))
    assert layer.rotary_dim == 4  # int(10 * 0.5) = 5, rounded down to even
    np.testing.assert_array_equal(out[..., 4:], x[..., 4:])
    assert not np.allclose(out[..., 1:, :4], x[..., 1:, :4], atol=1e-3)


def test_rope_accepts_rank3_inputs() -> None:
    x = random_inputs([(2, 5, 8)], seed=5)[0]
    out = _np(RotaryPositionEmbedding(head_dim=8, max_seq_len=5)(x))
    np.testing.assert_allclose(out, numpy_rope(x, 10000.0, 8), atol=ATOL)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"head_dim": 7, "max_seq_len": 4},
        {"head_dim": 0, "max_seq_len": 4},
        {"head_dim": 8, "max_seq_len": 0},
        {"head_dim": 8, "max_seq_len": 4, "rope_theta": 0.0},
        {"head_dim": 8, "max_seq_len": 4, "rope_percentage": 0.0},
        {"head_dim": 8, "max_seq_len": 4, "rope_percentage": 1.5},
        {"head_dim": 8, "max_seq_len": 4, "rope_percentage": 0.2},  # rotates 0 features
    ],
)
def test_rope_constructor_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RotaryPositionEmbedding(**kwargs)


def test_rope_sequence_too_long() -> None:
    with pytest.raises(ValueError, match="max_seq_len"):
        RotaryPositionEmbedding(head_dim=8, max_seq_len=4).build((1, 2, 5, 8))
    layer = RotaryPositionEmbedding(head_dim=8, max_seq_len=4)
    layer(np.zeros((1, 2, 4, 8), "float32"))
    with pytest.raises(ValueError, match="max_seq_len"):
        layer(np.zeros((1, 2, 5, 8), "float32"))
    with pytest.raises(ValueError, match="head_dim"):
        RotaryPositionEmbedding(head_dim=8, max_seq_len=4).build((1, 2, 4, 6))


def test_rope_tables_are_non_trainable_weights() -> None:
    layer = RotaryPositionEmbedding(head_dim=8, max_seq_len=6)
    layer.build((None, 2, 6, 8))
    assert layer.trainable_weights == []
    assert {tuple(w.shape) for w in layer.non_trainable_weights} == {(6, 8)}


# ---------------------------------------------------------------------------------------------
# DualRotaryPositionEmbedding
# ---------------------------------------------------------------------------------------------


def test_dual_rope_selects_base() -> None:
    x = random_inputs([(1, 2, 6, 8)], seed=6)[0]
    layer = DualRotaryPositionEmbedding(head_dim=8, max_seq_len=8, global_theta=1e6, local_theta=10.0)
    np.testing.assert_allclose(_np(layer(x, rope_type="global")), numpy_rope(x, 1e6, 8), atol=ATOL)
    np.testing.assert_allclose(_np(layer(x, rope_type="local")), numpy_rope(x, 10.0, 8), atol=ATOL)
    np.testing.assert_allclose(_np(layer(x)), numpy_rope(x, 1e6, 8), atol=ATOL)  # default global
    with pytest.raises(ValueError, match="rope_type"):
        layer(x, rope_type="sliding")


# ---------------------------------------------------------------------------------------------
# ContinuousRoPE
# ---------------------------------------------------------------------------------------------


def test_continuous_rope_with_integer_positions_equals_rope() -> None:
    x = random_inputs([(2, 6, 8)], seed=7)[0]
    coords = np.broadcast_to(np.arange(6, dtype="float32")[None, :, None], (2, 6, 1)).copy()
    out = _np(ContinuousRoPE(dim=8, ndim=1, max_wavelength=100.0)(x, coords))
    np.testing.assert_allclose(out, numpy_rope(x, 100.0, 8), atol=ATOL)


def test_continuous_rope_reference_angles_2d() -> None:
    rng = np.random.default_rng(8)
    coords = rng.uniform(0, 5, (1, 4, 2)).astype("float32")
    layer = ContinuousRoPE(dim=8, ndim=2, max_wavelength=100.0)
    layer.build((1, 4, 8))
    angles = _np(layer.compute_angles(coords))
    # Each axis owns dim / (2 * ndim) = 2 planes with frequencies 100 ** (-2k / 4).
    freqs = 100.0 ** (-np.arange(0, 4, 2) / 4.0)
    expected = np.concatenate([coords[..., :1] * freqs, coords[..., 1:] * freqs], axis=-1)
    np.testing.assert_allclose(angles, expected, atol=ATOL)


def test_continuous_rope_translation_invariance_and_norm() -> None:
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 2, 5, 12)).astype("float32")  # per-head features
    coords = rng.uniform(-3, 3, (1, 5, 3)).astype("float32")
    layer = ContinuousRoPE(dim=12, ndim=3, max_wavelength=20.0)
    out = _np(layer(x, coords))
    shifted = _np(layer(x, coords + np.array([0.7, -1.3, 2.1], "float32")))
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-5)
    gram = np.einsum("bhid,bhjd->bhij", out, out)
    gram_shifted = np.einsum("bhid,bhjd->bhij", shifted, shifted)
    np.testing.assert_allclose(gram, gram_shifted, atol=1e-4)
    assert not np.allclose(out, shifted, atol=1e-3)


def test_continuous_rope_normalized_coordinates_scale() -> None:
    rng = np.random.default_rng(10)
    x = rng.standard_normal((1, 3, 4)).astype("float32")
    coords = rng.uniform(0, 1, (1, 3, 2)).astype("float32")
    scaled = _np(ContinuousRoPE(dim=4, ndim=2, max_wavelength=10.0, assume_normalized_coordinates=True)(x, coords))
    plain = _np(ContinuousRoPE(dim=4, ndim=2, max_wavelength=10.0)(x, coords * 10.0))
    np.testing.assert_allclose(scaled, plain, atol=ATOL)


def test_continuous_rope_validation() -> None:
    with pytest.raises(ValueError, match="divisible"):
        ContinuousRoPE(dim=6, ndim=2)
    with pytest.raises(ValueError):
        ContinuousRoPE(dim=8, ndim=0)
    layer = ContinuousRoPE(dim=8, ndim=2)
    with pytest.raises(ValueError, match="ndim"):
        layer(np.zeros((1, 3, 8), "float32"), np.zeros((1, 3, 3), "float32"))


# ---------------------------------------------------------------------------------------------
# Sinusoidal, learned and token embeddings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [6, 7])
def test_sinusoidal_table_matches_formula(dim: int) -> None:
    seq_len = 9
    expected = np.zeros((seq_len, dim))
    for pos in range(seq_len):
        for i in range(0, dim, 2):
            expected[pos, i] = math.sin(pos / 10000.0 ** (i / dim))
            if i + 1 < dim:
                expected[pos, i + 1] = math.cos(pos / 10000.0 ** (i / dim))
    layer = SinusoidalPositionEmbedding(max_seq_len=12, dim=dim)
    x = random_inputs([(2, seq_len, dim)], seed=11)[0]
    out = _np(layer(x))
    np.testing.assert_allclose(out - x, np.broadcast_to(expected, out.shape), atol=ATOL)
    assert layer.trainable_weights == []


def test_sinusoidal_too_long() -> None:
    with pytest.raises(ValueError, match="max_seq_len"):
        SinusoidalPositionEmbedding(max_seq_len=4, dim=6)(np.zeros((1, 5, 6), "float32"))


def test_learned_position_embedding_adds_table_rows() -> None:
    layer = PositionEmbedding(max_seq_len=10, dim=4)
    x = random_inputs([(2, 6, 4)], seed=12)[0]
    out = _np(layer(x))
    table = _np(layer.position_embeddings)
    assert table.shape == (10, 4)
    np.testing.assert_allclose(out - x, np.broadcast_to(table[:6], out.shape), atol=1e-6)
    assert len(layer.trainable_weights) == 1
    with pytest.raises(ValueError, match="max_seq_len"):
        layer(np.zeros((1, 11, 4), "float32"))
    with pytest.raises(ValueError, match="dropout_rate"):
        PositionEmbedding(max_seq_len=4, dim=4, dropout_rate=1.0)


def test_learned_position_embedding_dropout_in_training_only() -> None:
    layer = PositionEmbedding(max_seq_len=8, dim=16, dropout_rate=0.5, initializer="zeros")
    x = np.ones((4, 8, 16), "float32")
    np.testing.assert_array_equal(_np(layer(x, training=False)), x)
    train_out = _np(layer(x, training=True))
    assert set(np.unique(train_out)).issubset({0.0, 2.0}) and (train_out == 0).any()


def test_token_embedding_scaling_and_mask() -> None:
    layer = TokenEmbedding(vocab_size=10, dim=9, mask_zero=True)
    ids = np.array([[1, 0, 7, 3]], dtype="int32")
    out = _np(layer(ids))
    matrix = _np(layer.embedding.embeddings)
    np.testing.assert_allclose(out, matrix[ids] * 3.0, atol=1e-6)  # sqrt(9) = 3
    np.testing.assert_array_equal(_np(layer.compute_mask(ids)), ids != 0)
    assert TokenEmbedding(vocab_size=10, dim=9).compute_mask(ids) is None


def test_token_embedding_default_initializer_is_glorot_uniform() -> None:
    layer = TokenEmbedding(vocab_size=50, dim=40)
    layer.build((None, 3))
    matrix = _np(layer.embedding.embeddings)
    limit = math.sqrt(6.0 / (50 + 40))
    assert np.abs(matrix).max() <= limit + 1e-6
    assert np.abs(matrix).max() > 0.8 * limit


# ---------------------------------------------------------------------------------------------
# Factory
# ---------------------------------------------------------------------------------------------


def test_factory_creates_registered_classes() -> None:
    layer = create_embedding_layer("rope", head_dim=8, max_seq_len=32, name="my_rope")
    assert isinstance(layer, RotaryPositionEmbedding)
    assert layer.name == "my_rope" and layer.max_seq_len == 32 and layer.rope_theta == 10000.0
    token = create_embedding_from_config({"type": "token", "vocab_size": 5, "dim": 4, "name": "tok"})
    assert isinstance(token, TokenEmbedding) and token.name == "tok"


def test_factory_unknown_type_suggests() -> None:
    with pytest.raises(ValueError) as info:
        create_embedding_layer("ropee", head_dim=8, max_seq_len=4)
    message = str(info.value)
    assert "ropee" in message and "Did you mean 'rope'" in message
    for embedding_type in EMBEDDING_REGISTRY:
        assert embedding_type in message


def test_factory_missing_required() -> None:
    with pytest.raises(ValueError, match=r"missing required parameter\(s\) \['max_seq_len'\]"):
        create_embedding_layer("rope", head_dim=8)


def test_factory_unknown_keyword() -> None:
    with pytest.raises(ValueError) as info:
        create_embedding_layer("sinusoidal", max_seq_len=4, dim=4, max_wavelenght=10.0)
    assert "max_wavelenght" in str(info.value) and "Did you mean 'max_wavelength'" in str(info.value)


def test_factory_invalid_values_and_config() -> None:
    with pytest.raises(ValueError, match="head_dim"):
        validate_embedding_config("rope", head_dim=-2, max_seq_len=4)
    with pytest.raises(ValueError, match="head_dim"):
        create_embedding_layer("rope", head_dim=7, max_seq_len=4)  # odd: rejected by the class
    with pytest.raises(ValueError, match="'type'"):
        create_embedding_from_config({"head_dim": 8})
    with pytest.raises(ValueError):
        create_embedding_from_config(["rope"])  # type: ignore[arg-type]
    config = {"type": "sinusoidal", "max_seq_len": 4, "dim": 4}
    create_embedding_from_config(config)
    assert config == {"type": "sinusoidal", "max_seq_len": 4, "dim": 4}
    validate_embedding_config("token", vocab_size=3, dim=2, dtype="float32")


def test_registry_matches_class_signatures_and_literal() -> None:
    assert set(typing.get_args(EmbeddingType)) == set(EMBEDDING_REGISTRY)
    info = get_embedding_info()
    assert set(info) == set(EMBEDDING_REGISTRY)
    for embedding_type, entry in info.items():
        assert set(entry) == {"class", "required", "optional", "description"}
        params = {
            name: p
            for name, p in inspect.signature(entry["class"].__init__).parameters.items()
            if name not in ("self", "kwargs")
        }
        without_default = [n for n, p in params.items() if p.default is inspect.Parameter.empty]
        assert entry["required"] == without_default, embedding_type
        assert entry["optional"] == {n: p.default for n, p in params.items() if n not in without_default}
    info["rope"]["optional"]["rope_theta"] = 1.0  # a copy
    assert EMBEDDING_REGISTRY["rope"]["optional"]["rope_theta"] == 10000.0


# ---------------------------------------------------------------------------------------------
# Round trips over every registered type
# ---------------------------------------------------------------------------------------------

ROUNDTRIP_CASES = {
    "rope": {
        "make": lambda: create_embedding_layer("rope", head_dim=8, max_seq_len=16, rope_percentage=0.5),
        "shapes": [(2, 2, 5, 8)],
    },
    "dual_rope": {
        "make": lambda: create_embedding_layer("dual_rope", head_dim=8, max_seq_len=16),
        "shapes": [(2, 2, 5, 8)],
        "call": lambda layer, xs: layer(xs[0], rope_type="local"),
    },
    "continuous_rope": {
        "make": lambda: create_embedding_layer("continuous_rope", dim=8, ndim=2),
        "shapes": [(2, 5, 8), (2, 5, 2)],
    },
    "positional_learned": {
        "make": lambda: create_embedding_layer("positional_learned", max_seq_len=16, dim=8),
        "shapes": [(2, 5, 8)],
    },
    "sinusoidal": {
        "make": lambda: create_embedding_layer("sinusoidal", max_seq_len=16, dim=8),
        "shapes": [(2, 5, 8)],
    },
    "token": {
        "make": lambda: create_embedding_layer("token", vocab_size=12, dim=8, mask_zero=False),
        "shapes": [(2, 5)],
        "dtypes": ["int32"],
    },
}


def test_roundtrip_cases_cover_registry() -> None:
    assert set(ROUNDTRIP_CASES) == set(EMBEDDING_REGISTRY)


@pytest.mark.parametrize("embedding_type", sorted(EMBEDDING_REGISTRY))
def test_roundtrip(embedding_type: str, tmp_path) -> None:
    case = ROUNDTRIP_CASES[embedding_type]
    inputs = random_inputs(case["shapes"], case.get("dtypes"), seed=13)
    assert_roundtrip(case["make"], inputs, tmp_path, call=case.get("call"))
