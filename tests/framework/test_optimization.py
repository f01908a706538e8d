"""Optimization builders: schedules, optimizers, deep supervision weights."""

import keras
import numpy as np
import pytest

from dl_techniques.optimization import (
    DEEP_SUPERVISION_TYPES,
    WarmupSchedule,
    deep_supervision_schedule_builder,
    learning_rate_schedule_builder,
    optimizer_builder,
)


def lr_at(schedule, step):
    return float(keras.ops.convert_to_numpy(schedule(step)))


def test_cosine_schedule_with_warmup_matches_formula():
    cfg = {"type": "cosine_decay", "warmup_steps": 10, "warmup_start_lr": 1e-4,
           "learning_rate": 1e-2, "decay_steps": 100, "alpha": 0.1}
    sched = learning_rate_schedule_builder(cfg)
    assert isinstance(sched, WarmupSchedule)
    assert lr_at(sched, 0) == pytest.approx(1e-4)
    assert lr_at(sched, 5) == pytest.approx(1e-4 + (1e-2 - 1e-4) * 0.5, rel=1e-5)
    # After warmup the cosine schedule starts from its beginning.
    for step in (10, 60, 110):
        t = min(step - 10, 100) / 100
        expected = 1e-2 * ((1 - 0.1) * 0.5 * (1 + np.cos(np.pi * t)) + 0.1)
        assert lr_at(sched, step) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("cfg", [
    {"type": "exponential_decay", "learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    {"type": "polynomial_decay", "learning_rate": 0.1, "decay_steps": 10},
    {"type": "piecewise_constant", "boundaries": [5], "values": [0.1, 0.01]},
    {"type": "constant", "learning_rate": 0.3},
    {"type": "cosine_decay_restarts", "learning_rate": 0.1, "decay_steps": 10},
])
def test_schedule_types_and_serialization(cfg):
    sched = learning_rate_schedule_builder(cfg)
    restored = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(sched))
    for step in (0, 3, 12):
        assert lr_at(restored, step) == pytest.approx(lr_at(sched, step))


def test_schedule_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown learning rate schedule type 'cosine'"):
        learning_rate_schedule_builder({"type": "cosine"})
    with pytest.raises(ValueError, match="decay_steps"):
        learning_rate_schedule_builder({"type": "cosine_decay", "learning_rate": 0.1})
    with pytest.raises(ValueError, match="unknown option"):
        learning_rate_schedule_builder({"type": "constant", "learning_rate": 0.1, "gamma": 2})


def test_optimizer_builder_maps_clipping_and_weight_decay():
    sched = learning_rate_schedule_builder({"type": "constant", "learning_rate": 0.01})
    opt = optimizer_builder({"type": "adamw", "beta_1": 0.8, "weight_decay": 0.05,
                             "gradient_clipping_by_norm": 1.0}, sched)
    assert isinstance(opt, keras.optimizers.AdamW)
    assert opt.beta_1 == 0.8 and opt.weight_decay == 0.05 and opt.clipnorm == 1.0
    with pytest.raises(ValueError, match="at most one gradient clipping"):
        optimizer_builder({"type": "adam", "gradient_clipping_by_norm": 1.0,
                           "gradient_clipping_by_value": 0.5})
    with pytest.raises(ValueError, match="unknown optimizer type"):
        optimizer_builder({"type": "lamb"})


def test_model_with_built_optimizer_trains_and_survives_save(tmp_path):
    sched = learning_rate_schedule_builder({"type": "cosine_decay", "warmup_steps": 2,
                                            "learning_rate": 0.01, "decay_steps": 10})
    opt = optimizer_builder({"type": "adamw", "gradient_clipping_by_norm": 1.0}, sched)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer=opt, loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert isinstance(loaded.optimizer._learning_rate, WarmupSchedule)


@pytest.mark.parametrize("kind", DEEP_SUPERVISION_TYPES)
def test_deep_supervision_weights_are_a_distribution(kind):
    sched = deep_supervision_schedule_builder({"type": kind}, 4)
    for p in (0.0, 0.3, 0.7, 1.0):
        w = sched(p)
        assert w.shape == (4,) and np.all(w >= 0) and w.sum() == pytest.approx(1.0)


def test_linear_decay_reaches_final_ratio_and_invert_order():
    sched = deep_supervision_schedule_builder({"type": "linear_decay", "config": {"final_ratio": 0.1}}, 3)
    np.testing.assert_allclose(sched(0.0), [1 / 3] * 3)
    np.testing.assert_allclose(sched(1.0), np.array([1.0, 0.1, 0.1]) / 1.2)
    inv = deep_supervision_schedule_builder({"type": "linear_decay", "config": {"final_ratio": 0.1}}, 3,
                                            invert_order=True)
    np.testing.assert_allclose(inv(1.0), sched(1.0)[::-1])
    with pytest.raises(ValueError, match="no_outputs"):
        deep_supervision_schedule_builder({"type": "linear_decay"}, 0)
