"""Mixture of experts: routing, capacity, losses, configs and the .keras round trip."""

import keras
import numpy as np
import pytest

from dl_techniques.layers.moe import (
    ExpertConfig,
    GatingConfig,
    MixtureOfExperts,
    MoEConfig,
    create_ffn_moe,
    create_moe_from_config,
)
from tests.framework.roundtrip import assert_roundtrip, random_inputs

FFN = {"type": "mlp", "hidden_dim": 16, "output_dim": 8}


def _x(shape=(2, 5, 8), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def test_top1_without_capacity_equals_chosen_expert():
    layer = create_ffn_moe(num_experts=3, ffn_config=FFN, top_k=1, drop_tokens=False,
                           aux_loss_weight=0.0, z_loss_weight=0.0)
    x = _x()
    out = keras.ops.convert_to_numpy(layer(x))
    logits = keras.ops.convert_to_numpy(layer.router(x))
    chosen = logits.argmax(-1)
    experts = np.stack([keras.ops.convert_to_numpy(e(x)) for e in layer.experts], axis=-1)
    expected = np.take_along_axis(experts, chosen[..., None, None].repeat(8, axis=-2), axis=-1)[..., 0]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_capacity_drops_overflow_tokens():
    layer = create_ffn_moe(num_experts=2, ffn_config=FFN, top_k=1, capacity_factor=0.5,
                           drop_tokens=True, aux_loss_weight=0.0, z_loss_weight=0.0)
    x = _x((1, 8, 8))
    out = keras.ops.convert_to_numpy(layer(x))
    # budget = ceil(0.5 * 1 * 8 / 2) = 2 tokens per expert: at most 4 of 8 tokens get an output.
    routed = np.abs(out).sum(-1) > 0
    assert routed.sum() <= 4


@pytest.mark.parametrize("seed", range(5))
def test_losses_are_added_and_utilization_reported(seed):
    keras.utils.set_random_seed(seed)
    # A tight capacity drops assignments; the reported load is still a share of what was routed.
    layer = create_ffn_moe(num_experts=4, ffn_config=FFN, top_k=2, capacity_factor=0.5)
    layer(_x(seed=seed), training=True)
    assert len(layer.losses) == 2 and all(float(v) > 0 for v in layer.losses)
    stats = layer.get_expert_utilization()
    assert len(stats["expert_load"]) == 4
    assert sum(stats["expert_load"]) == pytest.approx(1.0, abs=1e-5)


def test_config_objects_feed_the_factory():
    cfg = MoEConfig(num_experts=4, expert_config=ExpertConfig(ffn_config=FFN),
                    gating_config=GatingConfig(gating_type="cosine", top_k=2))
    layer = create_ffn_moe(**cfg.to_dict())
    assert isinstance(layer, MixtureOfExperts) and layer.gating_type == "cosine"
    assert MoEConfig.from_dict(cfg.to_dict()) == cfg
    assert create_moe_from_config(cfg).top_k == 2


def test_bad_input_is_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="top_k"):
        MoEConfig(num_experts=2, gating_config=GatingConfig(top_k=3))
    with pytest.raises(ValueError, match="unknown gating_type"):
        GatingConfig(gating_type="hash")
    with pytest.raises(ValueError, match="unknown MoE option"):
        create_ffn_moe(num_experts=2, ffn_config=FFN, temperature=3)
    with pytest.raises(ValueError, match="expert FFN config"):
        create_ffn_moe(num_experts=2)
    with pytest.raises(ValueError, match="use_residual_connection"):
        create_ffn_moe(num_experts=2, ffn_config={**FFN, "output_dim": 4},
                       use_residual_connection=True).build((None, 5, 8))


@pytest.mark.parametrize("gating_type", ["linear", "cosine"])
def test_roundtrip(gating_type, tmp_path):
    assert_roundtrip(
        lambda: create_ffn_moe(num_experts=3, ffn_config=FFN, top_k=2, gating_type=gating_type,
                               use_residual_connection=True),
        random_inputs([(2, 5, 8)]), tmp_path)


@pytest.mark.parametrize("gating_type", ["linear", "cosine"])
def test_every_trainable_weight_gets_a_gradient(gating_type):
    """A training step reaches every trainable weight: cosine gating has no dense router
    left untrained (Keras warns "Gradients do not exist" for such weights)."""
    import warnings

    inputs = keras.Input((5, 8))
    model = keras.Model(inputs, create_ffn_moe(num_experts=3, ffn_config=FFN, top_k=2,
                                               gating_type=gating_type)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.train_on_batch(_x(), _x(seed=1))
    assert not [w for w in caught if "Gradients do not exist" in str(w.message)]
    routers = [w.path for w in model.trainable_weights if "router/kernel" in w.path]
    assert bool(routers) == (gating_type == "linear")
