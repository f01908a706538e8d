"""Tests for dl_techniques.layers.norms: NumPy references, factory, round trips."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
from dl_techniques.layers.norms import (
    NORMALIZATION_REGISTRY,
    DynamicTanh,
    RMSNorm,
    ZeroCenteredRMSNorm,
    create_normalization_from_config,
    create_normalization_layer,
    get_normalization_info,
    validate_normalization_config,
)

from tests.framework.roundtrip import assert_roundtrip, random_inputs


def _np(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def np_rms(x: np.ndarray, axis, eps: float) -> np.ndarray:
    x = x.astype(np.float64)
    return x / np.sqrt(np.mean(x * x, axis=axis, keepdims=True) + eps)


# ------------------------------------------------------------------------------- RMSNorm


def test_rms_norm_matches_numpy():
    x = random_inputs([(2, 3, 8)], seed=0)[0] * 3.0
    layer = RMSNorm(epsilon=1e-5)
    out = _np(layer(x))
    np.testing.assert_allclose(out, np_rms(x, -1, 1e-5), rtol=1e-5, atol=1e-6)
    assert [tuple(w.shape) for w in layer.weights] == [(8,)]


def test_rms_norm_applies_scale_and_multiple_axes():
    x = random_inputs([(2, 3, 4)], seed=1)[0]
    layer = RMSNorm(axis=(1, 2), scale_initializer=keras.initializers.Constant(2.0))
    out = _np(layer(x))
    np.testing.assert_allclose(out, 2.0 * np_rms(x, (1, 2), 1e-6), rtol=1e-5, atol=1e-6)
    assert tuple(layer.scale.shape) == (3, 4)
    no_scale = RMSNorm(use_scale=False)
    np.testing.assert_allclose(_np(no_scale(x)), np_rms(x, -1, 1e-6), rtol=1e-5, atol=1e-6)
    assert not no_scale.weights


def test_zero_centered_rms_norm_matches_numpy():
    x = random_inputs([(2, 3, 8)], seed=2)[0] + 5.0
    out = _np(ZeroCenteredRMSNorm()(x))
    c = x.astype(np.float64) - x.mean(-1, keepdims=True)
    np.testing.assert_allclose(out, np_rms(c, -1, 1e-6), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.mean(-1), 0.0, atol=1e-5)


def test_dynamic_tanh_matches_numpy():
    x = random_inputs([(2, 3, 4)], seed=3)[0]
    layer = DynamicTanh(alpha_init_value=0.7)
    layer.build(x.shape)
    weight = np.array([1.0, -2.0, 0.5, 3.0], dtype="float32")
    bias = np.array([0.1, 0.0, -0.3, 2.0], dtype="float32")
    layer.weight.assign(weight)
    layer.bias.assign(bias)
    out = _np(layer(x))
    np.testing.assert_allclose(out, weight * np.tanh(0.7 * x) + bias, rtol=1e-5, atol=1e-6)
    assert len(layer.trainable_weights) == 3
    assert float(_np(layer.alpha.value)) == pytest.approx(0.7)


def test_dynamic_tanh_on_channel_axis():
    x = random_inputs([(2, 3, 5)], seed=4)[0]
    layer = DynamicTanh(axis=1)
    out = _np(layer(x))
    assert tuple(layer.weight.shape) == (3,)
    np.testing.assert_allclose(out, np.tanh(0.5 * x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls,kwargs", [
    (RMSNorm, {"epsilon": 0.0}), (RMSNorm, {"axis": "last"}), (ZeroCenteredRMSNorm, {"axis": []}),
    (DynamicTanh, {"alpha_init_value": "big"}), (DynamicTanh, {"axis": 1.5}),
])
def test_constructors_validate(cls, kwargs):
    with pytest.raises(ValueError):
        cls(**kwargs)


# ------------------------------------------------------------------------------- factory


def test_factory_creates_each_type_with_epsilon():
    assert isinstance(create_normalization_layer("rms_norm"), RMSNorm)
    layer_norm = create_normalization_layer("layer_norm", name="ln", center=False)
    assert isinstance(layer_norm, keras.layers.LayerNormalization)
    assert layer_norm.name == "ln" and layer_norm.epsilon == 1e-6 and not layer_norm.center
    batch = create_normalization_layer("batch_norm", epsilon=1e-3, momentum=0.9)
    assert batch.epsilon == 1e-3 and batch.momentum == 0.9
    group = create_normalization_layer("group_norm", groups=2)
    assert group.groups == 2 and group.epsilon == 1e-6
    dyt = create_normalization_layer("dynamic_tanh", epsilon=1e-5, alpha_init_value=1.0)
    assert isinstance(dyt, DynamicTanh) and dyt.alpha_init_value == 1.0
    assert isinstance(create_normalization_layer("zero_centered_rms_norm"), ZeroCenteredRMSNorm)


def test_factory_unknown_type_lists_choices():
    with pytest.raises(ValueError, match="rms_normm") as err:
        create_normalization_layer("rms_normm")
    for name in NORMALIZATION_REGISTRY:
        assert name in str(err.value)


def test_factory_unknown_kwarg_lists_valid_parameters():
    with pytest.raises(ValueError, match="momentum") as err:
        create_normalization_layer("layer_norm", momentum=0.5)
    assert "center" in str(err.value) and "axis" in str(err.value)
    with pytest.raises(ValueError, match="groups"):
        validate_normalization_config("rms_norm", groups=4)
    validate_normalization_config("group_norm", groups=4, name="g", epsilon=1e-5)


def test_factory_from_config():
    config = {"type": "rms_norm", "epsilon": 1e-4, "use_scale": False, "name": "r"}
    layer = create_normalization_from_config(config)
    assert isinstance(layer, RMSNorm) and layer.epsilon == 1e-4 and not layer.use_scale
    assert layer.name == "r"
    assert config["type"] == "rms_norm", "the input config must not be modified"
    with pytest.raises(ValueError, match="type"):
        create_normalization_from_config({"epsilon": 1e-4})
    with pytest.raises(ValueError, match="bogus"):
        create_normalization_from_config({"type": "dynamic_tanh", "bogus": 1})


def test_info_has_documented_shape_and_is_a_copy():
    info = get_normalization_info()
    assert set(info) == set(NORMALIZATION_REGISTRY)
    for entry in info.values():
        assert set(entry) == {"class", "required", "optional", "description"}
    info["rms_norm"]["optional"]["axis"] = 3
    assert NORMALIZATION_REGISTRY["rms_norm"]["optional"]["axis"] == -1


def test_registry_optional_parameters_exist_in_constructors():
    for name, spec in NORMALIZATION_REGISTRY.items():
        params = inspect.signature(spec["class"].__init__).parameters
        for key in list(spec["optional"]) + list(spec["required"]):
            assert key in params, (name, key)
    assert "epsilon" not in NORMALIZATION_REGISTRY["dynamic_tanh"]["optional"]


# ---------------------------------------------------------------------------- round trip

NORM_CASES = {
    "layer_norm": {},
    "rms_norm": {},
    "zero_centered_rms_norm": {"epsilon": 1e-5},
    "batch_norm": {"momentum": 0.9},
    "group_norm": {"groups": 4},
    "dynamic_tanh": {"alpha_init_value": 0.8},
}


def test_norm_cases_cover_the_registry():
    assert set(NORM_CASES) == set(NORMALIZATION_REGISTRY)


@pytest.mark.parametrize("normalization_type", sorted(NORM_CASES))
def test_norm_roundtrip(normalization_type, tmp_path):
    kwargs = NORM_CASES[normalization_type]
    assert_roundtrip(
        lambda: create_normalization_layer(normalization_type, **kwargs),
        random_inputs([(2, 3, 8)], seed=5),
        tmp_path,
    )
