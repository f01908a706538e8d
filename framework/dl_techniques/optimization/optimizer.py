"""Optimizers from a config dict, with gradient clipping options."""

from __future__ import annotations

from typing import Any, Mapping, Union

import keras

from dl_techniques.optimization._config import reject_unknown, split_config

OPTIMIZER_TYPES = ("adam", "adamw", "rmsprop", "adadelta", "sgd")

_CLIPPING = {
    "gradient_clipping_by_norm": "clipnorm",
    "gradient_clipping_by_value": "clipvalue",
    "gradient_clipping_by_global_norm": "global_clipnorm",
}
_OPTIONS = {
    "adam": ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "adamw": ("beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay"),
    "rmsprop": ("rho", "momentum", "epsilon", "centered"),
    "adadelta": ("rho", "epsilon"),
    "sgd": ("momentum", "nesterov"),
}
_CLASSES = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "rmsprop": keras.optimizers.RMSprop,
    "adadelta": keras.optimizers.Adadelta,
    "sgd": keras.optimizers.SGD,
}

LearningRate = Union[float, keras.optimizers.schedules.LearningRateSchedule]


def optimizer_builder(config: Mapping[str, Any], lr_schedule: LearningRate | None = None) -> keras.optimizers.Optimizer:
    """Build an optimizer from ``config`` (``type`` in :data:`OPTIMIZER_TYPES`).

    ``lr_schedule`` (a schedule or a float) sets the learning rate; without it
    ``config["learning_rate"]`` is used (default 1e-3). ``gradient_clipping_by_norm``,
    ``gradient_clipping_by_value`` and ``gradient_clipping_by_global_norm`` map onto Keras'
    ``clipnorm``, ``clipvalue`` and ``global_clipnorm``; at most one may be given.

    Raises:
        ValueError: unknown type or option, or more than one clipping option.
    """
    kind, options = split_config(config, "optimizer", OPTIMIZER_TYPES)
    reject_unknown(options, _OPTIONS[kind] + tuple(_CLIPPING) + ("learning_rate",), f"optimizer '{kind}'")
    clipping = {_CLIPPING[k]: float(options.pop(k)) for k in list(options) if k in _CLIPPING}
    if len(clipping) > 1:
        raise ValueError(f"use at most one gradient clipping option, got {sorted(clipping)}")
    learning_rate = lr_schedule if lr_schedule is not None else options.pop("learning_rate", 1e-3)
    options.pop("learning_rate", None)
    return _CLASSES[kind](learning_rate=learning_rate, **options, **clipping)
