"""Learning-rate schedules with an optional linear warmup."""

from __future__ import annotations

from typing import Any, Dict, Mapping

import keras
from keras import ops

from dl_techniques.optimization._config import reject_unknown, split_config

SCHEDULE_TYPES = ("cosine_decay", "cosine_decay_restarts", "exponential_decay",
                  "polynomial_decay", "piecewise_constant", "constant")

_WARMUP_KEYS = ("warmup_steps", "warmup_start_lr")
_SCHEDULE_KEYS = {
    "cosine_decay": ("learning_rate", "decay_steps", "alpha"),
    "cosine_decay_restarts": ("learning_rate", "decay_steps", "t_mul", "m_mul", "alpha"),
    "exponential_decay": ("learning_rate", "decay_steps", "decay_rate", "staircase"),
    "polynomial_decay": ("learning_rate", "decay_steps", "end_learning_rate", "power", "cycle"),
    "piecewise_constant": ("boundaries", "values"),
    "constant": ("learning_rate",),
}


@keras.saving.register_keras_serializable(package="dl_techniques")
class ConstantSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A schedule that always returns ``learning_rate``."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = float(learning_rate)

    def __call__(self, step: Any) -> Any:
        """Learning rate at ``step`` (constant)."""
        return ops.cast(self.learning_rate, "float32")

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration."""
        return {"learning_rate": self.learning_rate}


@keras.saving.register_keras_serializable(package="dl_techniques")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup from ``warmup_start_lr`` to the wrapped schedule's value at
    ``warmup_steps``, then the wrapped schedule shifted by ``warmup_steps``."""

    def __init__(self, schedule: keras.optimizers.schedules.LearningRateSchedule,
                 warmup_steps: int, warmup_start_lr: float = 0.0) -> None:
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
        if isinstance(schedule, dict):
            schedule = keras.optimizers.schedules.deserialize(schedule)
        self.schedule = schedule
        self.warmup_steps = int(warmup_steps)
        self.warmup_start_lr = float(warmup_start_lr)

    def __call__(self, step: Any) -> Any:
        """Learning rate at ``step``."""
        step = ops.cast(step, "float32")
        warmup = float(max(self.warmup_steps, 1))
        target = ops.cast(self.schedule(0), "float32")
        ramp = self.warmup_start_lr + (target - self.warmup_start_lr) * ops.minimum(step / warmup, 1.0)
        after = ops.cast(self.schedule(ops.maximum(step - self.warmup_steps, 0.0)), "float32")
        return ops.where(step < self.warmup_steps, ramp, after)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (the wrapped schedule is serialized too)."""
        return {
            "schedule": keras.optimizers.schedules.serialize(self.schedule),
            "warmup_steps": self.warmup_steps,
            "warmup_start_lr": self.warmup_start_lr,
        }


def learning_rate_schedule_builder(config: Mapping[str, Any]) -> keras.optimizers.schedules.LearningRateSchedule:
    """Build a learning-rate schedule from a config dict.

    ``config["type"]`` is one of :data:`SCHEDULE_TYPES`; ``warmup_steps`` (default 0) and
    ``warmup_start_lr`` (default 0.0) add a linear warmup in front of any type.

    Raises:
        ValueError: unknown type, unknown option, or a missing required option.
    """
    kind, options = split_config(config, "learning rate schedule", SCHEDULE_TYPES)
    reject_unknown(options, _SCHEDULE_KEYS[kind] + _WARMUP_KEYS, f"schedule '{kind}'")
    warmup_steps = int(options.pop("warmup_steps", 0))
    warmup_start_lr = float(options.pop("warmup_start_lr", 0.0))
    schedules = keras.optimizers.schedules
    try:
        if kind == "cosine_decay":
            schedule = schedules.CosineDecay(options["learning_rate"], options["decay_steps"],
                                             alpha=options.get("alpha", 0.0))
        elif kind == "cosine_decay_restarts":
            schedule = schedules.CosineDecayRestarts(
                options["learning_rate"], options["decay_steps"], t_mul=options.get("t_mul", 2.0),
                m_mul=options.get("m_mul", 1.0), alpha=options.get("alpha", 0.0))
        elif kind == "exponential_decay":
            schedule = schedules.ExponentialDecay(
                options["learning_rate"], options["decay_steps"], options["decay_rate"],
                staircase=options.get("staircase", False))
        elif kind == "polynomial_decay":
            schedule = schedules.PolynomialDecay(
                options["learning_rate"], options["decay_steps"],
                end_learning_rate=options.get("end_learning_rate", 1e-4),
                power=options.get("power", 1.0), cycle=options.get("cycle", False))
        elif kind == "piecewise_constant":
            schedule = schedules.PiecewiseConstantDecay(options["boundaries"], options["values"])
        else:
            schedule = ConstantSchedule(options["learning_rate"])
    except KeyError as exc:
        raise ValueError(f"schedule '{kind}' needs option {exc.args[0]!r}") from None
    if warmup_steps > 0:
        return WarmupSchedule(schedule, warmup_steps, warmup_start_lr)
    return schedule
