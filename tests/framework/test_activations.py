"""Tests for dl_techniques.layers.activations: NumPy references, validation, round trips."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from dl_techniques.layers.activations import (
    PROBABILITY_TYPES,
    AdaptiveTemperatureSoftmax,
    HierarchicalRoutingLayer,
    ProbabilityOutput,
    RoutingProbabilitiesLayer,
    SoftmaxLayer,
    Sparsemax,
    ThreshMax,
)

from tests.framework.roundtrip import assert_roundtrip, random_inputs


def _np(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def np_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_sparsemax_1d(z: np.ndarray) -> np.ndarray:
    """Textbook sparsemax of a vector (Martins & Astudillo 2016, Algorithm 1)."""
    z_sorted = np.sort(z)[::-1]
    cums = np.cumsum(z_sorted)
    k = np.arange(1, z.size + 1)
    k_z = k[1 + k * z_sorted > cums].max()
    tau = (cums[k_z - 1] - 1) / k_z
    return np.maximum(z - tau, 0.0)


def np_sparsemax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.apply_along_axis(np_sparsemax_1d, axis, x.astype(np.float64))


def np_threshmax(x: np.ndarray, axis: int = -1, slope: float = 10.0,
                 epsilon: float = 1e-12) -> np.ndarray:
    x = x.astype(np.float64)
    p = np_softmax(x, axis)
    n = x.shape[axis]
    excess = p - 1.0 / n
    scale = slope * n
    m = np.logaddexp(0.0, scale * excess) / scale
    y = m / (m.sum(axis=axis, keepdims=True) + epsilon)
    degenerate = np.maximum(excess, 0).sum(axis=axis, keepdims=True) <= epsilon
    return np.where(degenerate, p, y)


def np_adaptive(x: np.ndarray, min_temp=0.1, max_temp=1.0, threshold=0.5, eps=1e-7):
    x = x.astype(np.float64)
    p = np_softmax(x)
    h = -(p * np.log(p + eps)).sum(-1, keepdims=True) / np.log(x.shape[-1])
    r = np.clip((np.clip(h, 0, 1) - threshold) / (1 - threshold), 0, 1)
    t = max_temp - (max_temp - min_temp) * r
    return np_softmax(x / t), t


# --------------------------------------------------------------------------------- softmax


def test_softmax_layer_matches_numpy_on_chosen_axis():
    x = random_inputs([(2, 3, 5)], seed=1)[0]
    out = _np(SoftmaxLayer(axis=1)(x))
    np.testing.assert_allclose(out, np_softmax(x, axis=1), rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------------- sparsemax


def test_sparsemax_peaked_input_has_exact_zeros_and_sums_to_one():
    x = np.array([[5.0, 1.0, 0.5, -2.0], [0.2, 0.1, 0.15, 0.0]], dtype="float32")
    out = _np(Sparsemax()(x))
    assert np.all(out[0, 1:] == 0.0)
    assert out[0, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-6)
    # The flat second row keeps every entry in the support.
    assert np.all(out[1] > 0)
    np.testing.assert_allclose(out, np_sparsemax(x), atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_sparsemax_matches_numpy_reference_any_axis(axis):
    x = (2.0 * random_inputs([(3, 4, 6)], seed=2)[0]).astype("float32")
    out = _np(Sparsemax(axis=axis)(x))
    ref = np_sparsemax(x, axis=axis)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, atol=1e-5)
    assert (out == 0).any(), "scaled random logits should give some exact zeros"
    assert (out >= 0).all()


def test_sparsemax_gradient_matches_analytic_jacobian():
    # Jacobian of sparsemax: diag(s) - s s^T / |S| with s the support indicator.
    x = keras.Variable(np.array([[1.0, 0.8, -1.0, 0.3]], dtype="float32"))
    layer = Sparsemax()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = layer(x)[0, 0]
        grad = _np(tape.gradient(loss, x))
    elif keras.backend.backend() == "jax":
        import jax

        grad = np.asarray(jax.grad(lambda v: layer(v)[0, 0])(np.asarray(x.value)))
    else:  # pragma: no cover - other backends are not installed
        pytest.skip("gradient check implemented for tensorflow and jax")
    # [1.0, 0.8, -1.0, 0.3]: support {0, 1}, tau = 0.4, y = [0.6, 0.4, 0, 0];
    # d y0 / d z = e0 - 1/2 on the support, 0 elsewhere.
    np.testing.assert_allclose(_np(layer(x)), [[0.6, 0.4, 0.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0, 0.0]], atol=1e-6)


# ------------------------------------------------------------------------------- threshmax


@pytest.mark.parametrize("slope", [10.0, 2.0])
def test_threshmax_matches_numpy_reference(slope):
    x = random_inputs([(2, 3, 7)], seed=3)[0]
    out = _np(ThreshMax(slope=slope)(x))
    np.testing.assert_allclose(out, np_threshmax(x, slope=slope), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)


def test_threshmax_suppresses_below_uniform_entries_and_falls_back_on_uniform():
    x = np.array([[4.0, 3.0, 0.0, -1.0, -2.0], [1.0, 1.0, 1.0, 1.0, 1.0]], dtype="float32")
    out = _np(ThreshMax(slope=10.0)(x))
    p = np_softmax(x)
    # Below-uniform entries are nearly removed; the result is close to the hard limit
    # relu(p - 1/N) renormalised, and the ordering of the kept entries is preserved.
    assert np.all(out[0, 2:] < 1e-4)
    hard = np.maximum(p[0] - 0.2, 0.0)
    np.testing.assert_allclose(out[0], hard / hard.sum(), atol=5e-3)
    assert out[0, 0] > p[0, 0] and out[0, 0] > out[0, 1] > out[0, 2]
    # Uniform row: every entry is at the threshold -> plain softmax.
    np.testing.assert_allclose(out[1], np.full(5, 0.2), atol=1e-7)
    np.testing.assert_allclose(out, np_threshmax(x), atol=1e-6)


def test_threshmax_axis_and_trainable_slope():
    x = random_inputs([(2, 5, 3)], seed=4)[0]
    out = _np(ThreshMax(axis=1)(x))
    np.testing.assert_allclose(out, np_threshmax(x, axis=1), rtol=1e-5, atol=1e-6)
    fixed, learned = ThreshMax(), ThreshMax(trainable_slope=True)
    fixed.build((None, 3))
    learned.build((None, 3))
    assert len(fixed.trainable_weights) == 0 and len(fixed.non_trainable_weights) == 1
    assert len(learned.trainable_weights) == 1
    assert float(_np(learned.trainable_weights[0])) == 10.0


@pytest.mark.parametrize("kwargs", [{"slope": 0.0}, {"slope": -1.0}, {"epsilon": 0.0}])
def test_threshmax_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ThreshMax(**kwargs)


# -------------------------------------------------------------------------------- adaptive


def test_adaptive_flat_input_gets_min_temp_and_peaked_input_max_temp():
    layer = AdaptiveTemperatureSoftmax(min_temp=0.2, max_temp=0.9)
    flat = np.zeros((1, 6), dtype="float32")
    peaked = np.array([[10.0, 0.0, 0.0, 0.0, 0.0, 0.0]], dtype="float32")
    t = _np(layer.compute_temperature(np.concatenate([flat, peaked])))
    np.testing.assert_allclose(t[:, 0], [0.2, 0.9], atol=1e-6)
    # The peaked row is softmax(x / 0.9).
    out = _np(layer(peaked))
    np.testing.assert_allclose(out, np_softmax(peaked / 0.9), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_np(layer(flat)), np.full((1, 6), 1 / 6), atol=1e-6)


def test_adaptive_matches_numpy_reference_between_the_extremes():
    x = (0.5 * random_inputs([(4, 8)], seed=5)[0]).astype("float32")
    layer = AdaptiveTemperatureSoftmax()
    ref, t_ref = np_adaptive(x)
    assert np.all((t_ref > 0.1) & (t_ref < 1.0)), "inputs should fall on the temperature ramp"
    np.testing.assert_allclose(_np(layer.compute_temperature(x)), t_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(layer(x)), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"min_temp": 0.0}, {"min_temp": -0.1}, {"min_temp": 2.0, "max_temp": 1.0},
    {"entropy_threshold": 1.0}, {"eps": 0.0},
])
def test_adaptive_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        AdaptiveTemperatureSoftmax(**kwargs)


# ------------------------------------------------------------------- routing / hierarchical


@pytest.mark.parametrize("num_classes", [None, 5, 2, 1])
def test_routing_is_a_distribution(num_classes):
    x = random_inputs([(3, 2, 8)], seed=6)[0]
    layer = RoutingProbabilitiesLayer(num_classes=num_classes)
    out = _np(layer(x))
    k = num_classes or 8
    assert out.shape == (3, 2, k)
    assert layer.compute_output_shape((3, 2, 8)) == (3, 2, k)
    assert (out >= 0).all()
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)
    assert not layer.trainable_weights


def test_routing_matches_tree_reference_and_is_deterministic():
    x = random_inputs([(4, 6)], seed=7)[0]
    layer = RoutingProbabilitiesLayer(num_classes=3)
    out = _np(layer(x))
    kernel = _np(layer.routing_kernel)
    assert kernel.shape == (6, 2)
    s = 1 / (1 + np.exp(-(x.astype(np.float64) @ kernel)))
    leaves = np.stack([(1 - s[:, 0]) * (1 - s[:, 1]), s[:, 0] * (1 - s[:, 1]),
                       (1 - s[:, 0]) * s[:, 1]], axis=-1)
    ref = leaves / (leaves.sum(-1, keepdims=True) + 1e-7)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    # A new layer draws the same fixed projection (seeded initializer).
    np.testing.assert_allclose(_np(RoutingProbabilitiesLayer(num_classes=3)(x)), out, atol=1e-7)


def test_routing_on_a_middle_axis():
    x = random_inputs([(2, 8, 3)], seed=8)[0]
    out = _np(RoutingProbabilitiesLayer(num_classes=4, axis=1)(x))
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out.sum(1), 1.0, atol=1e-5)


@pytest.mark.parametrize("output_dim", [8, 5, 1])
def test_hierarchical_is_a_distribution_and_trainable(output_dim):
    x = random_inputs([(3, 6)], seed=9)[0]
    layer = HierarchicalRoutingLayer(output_dim=output_dim)
    out = _np(layer(x))
    assert out.shape == (3, output_dim)
    assert (out >= 0).all()
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)
    depth = max(1, int(np.ceil(np.log2(output_dim))))
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(6, depth), (depth,)]


def test_hierarchical_rejects_bad_output_dim():
    with pytest.raises(ValueError):
        HierarchicalRoutingLayer(output_dim=0)
    with pytest.raises(TypeError):
        HierarchicalRoutingLayer()  # output_dim is required


# ------------------------------------------------------------------------ ProbabilityOutput


def test_probability_output_delegates():
    x = random_inputs([(2, 6)], seed=10)[0]
    np.testing.assert_allclose(_np(ProbabilityOutput()(x)), np_softmax(x), atol=1e-6)
    sparse = _np(ProbabilityOutput("sparsemax", {"axis": -1})(x))
    np.testing.assert_allclose(sparse, np_sparsemax(x), atol=1e-6)
    hier = ProbabilityOutput("hierarchical", {"output_dim": 8})
    out = _np(hier(x))
    assert out.shape == (2, 8)
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)
    assert len(hier.trainable_weights) == 2


def test_probability_output_unknown_type_lists_valid_types():
    with pytest.raises(ValueError, match="Unknown probability_type 'softmaxx'") as err:
        ProbabilityOutput("softmaxx")
    for name in PROBABILITY_TYPES:
        assert name in str(err.value)


def test_probability_output_unknown_key_lists_valid_keys():
    with pytest.raises(ValueError, match="temperature") as err:
        ProbabilityOutput("threshmax", {"temperature": 2.0})
    for key in ("axis", "slope", "epsilon", "trainable_slope"):
        assert key in str(err.value)


def test_probability_output_hierarchical_requires_output_dim():
    with pytest.raises(ValueError, match="output_dim"):
        ProbabilityOutput("hierarchical")
    with pytest.raises(ValueError, match="output_dim"):
        ProbabilityOutput("hierarchical", {"epsilon": 1e-6})


def test_probability_output_config():
    layer = ProbabilityOutput("adaptive", {"min_temp": 0.3}, name="scores")
    config = layer.get_config()
    assert config["probability_type"] == "adaptive"
    assert config["type_config"] == {"min_temp": 0.3}
    clone = ProbabilityOutput.from_config(config)
    assert clone.probability_layer.min_temp == 0.3
    assert isinstance(clone.probability_layer, AdaptiveTemperatureSoftmax)


def test_probability_registry_matches_constructors():
    import inspect

    for name, spec in PROBABILITY_TYPES.items():
        params = inspect.signature(spec["class"].__init__).parameters
        for key, default in spec["optional"].items():
            assert params[key].default == default, (name, key)
        for key in spec["required"]:
            assert params[key].default is inspect.Parameter.empty, (name, key)
        assert isinstance(spec["description"], str) and spec["description"]


# ------------------------------------------------------------------------------ round trip

PROBABILITY_CASES = {
    "softmax": {"axis": -1},
    "sparsemax": {"axis": -1},
    "threshmax": {"slope": 5.0, "trainable_slope": True},
    "adaptive": {"min_temp": 0.2, "max_temp": 1.0},
    "routing": {"num_classes": 6},
    "hierarchical": {"output_dim": 8},
}


def test_probability_cases_cover_the_registry():
    assert set(PROBABILITY_CASES) == set(PROBABILITY_TYPES)


@pytest.mark.parametrize("probability_type", sorted(PROBABILITY_CASES))
def test_probability_roundtrip(probability_type, tmp_path):
    type_config = PROBABILITY_CASES[probability_type]
    assert_roundtrip(
        lambda: ProbabilityOutput(probability_type, dict(type_config)),
        random_inputs([(2, 3, 8)], seed=11),
        tmp_path,
    )


@pytest.mark.parametrize("probability_type, config", [("softmax", {"axis": -1}), ("sparsemax", {"axis": -1})])
def test_float32_probability_output_stays_float32_under_mixed_precision(probability_type, config):
    """The wrapper's dtype reaches the layer that computes: a float32 ProbabilityOutput gives
    float32 probabilities even when the global policy is mixed_float16."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = ProbabilityOutput(probability_type=probability_type, type_config=config, dtype="float32")
        scores = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
        probs = keras.ops.convert_to_numpy(layer(scores))
        assert probs.dtype == np.float32
        mixed = keras.ops.convert_to_numpy(ProbabilityOutput(probability_type=probability_type,
                                                             type_config=config)(scores))
        assert mixed.dtype == np.float16
    finally:
        keras.config.set_dtype_policy(previous)
