"""Weights for the outputs of a deeply supervised model as training progresses."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from dl_techniques.optimization._config import reject_unknown, split_config

DEEP_SUPERVISION_TYPES = ("constant_equal", "constant_low_to_high", "constant_high_to_low",
                          "linear_decay", "exponential_decay", "cosine_annealing", "curriculum",
                          "step_wise")

_OPTIONS = {
    "constant_equal": (),
    "constant_low_to_high": (),
    "constant_high_to_low": (),
    "linear_decay": ("final_ratio",),
    "exponential_decay": ("decay_rate",),
    "cosine_annealing": ("frequency", "final_ratio"),
    "curriculum": ("max_active_outputs",),
    "step_wise": ("threshold",),
}

Schedule = Callable[[float], np.ndarray]


def _normalise(w: np.ndarray) -> np.ndarray:
    w = np.clip(np.asarray(w, dtype="float64"), 0.0, None)
    total = w.sum()
    return (w / total) if total > 0 else np.full_like(w, 1.0 / len(w))


def deep_supervision_schedule_builder(config: Mapping[str, Any], no_outputs: int,
                                      invert_order: bool = False) -> Schedule:
    """Return ``schedule(progress) -> weights`` for ``no_outputs`` supervised outputs.

    Output 0 is the final (deepest-resolution) output, higher indices are shallower ones.
    ``progress`` is the fraction of training done, clipped to ``[0, 1]``; the weights are
    non-negative and sum to 1. ``config`` is ``{"type": ..., "config": {...}}`` or the options
    inline. ``invert_order`` reverses the output order of the returned weights.

    Raises:
        ValueError: unknown type or option, or ``no_outputs < 1``.
    """
    if no_outputs < 1:
        raise ValueError(f"no_outputs must be >= 1, got {no_outputs}")
    kind, options = split_config(config, "deep supervision", DEEP_SUPERVISION_TYPES)
    options = dict(options.pop("config", {}) or {}, **options)
    reject_unknown(options, _OPTIONS[kind], f"deep supervision '{kind}'")
    depth = np.arange(no_outputs, dtype="float64")  # 0 = final output

    def schedule(progress: float) -> np.ndarray:
        p = float(np.clip(progress, 0.0, 1.0))
        if kind == "constant_equal":
            w = np.ones(no_outputs)
        elif kind == "constant_low_to_high":
            w = depth + 1.0
        elif kind == "constant_high_to_low":
            w = no_outputs - depth
        elif kind == "linear_decay":
            final_ratio = float(options.get("final_ratio", 0.1))
            shallow = 1.0 - (1.0 - final_ratio) * p
            w = np.where(depth == 0, 1.0, shallow)
        elif kind == "exponential_decay":
            rate = float(options.get("decay_rate", 5.0))
            w = np.where(depth == 0, 1.0, np.exp(-rate * p * depth))
        elif kind == "cosine_annealing":
            freq = float(options.get("frequency", 3.0))
            final_ratio = float(options.get("final_ratio", 0.5))
            trend = 1.0 - (1.0 - final_ratio) * p
            wave = 0.5 * (1.0 + np.cos(2.0 * np.pi * freq * p))
            w = np.where(depth == 0, 1.0, trend * (0.5 + 0.5 * wave))
        elif kind == "curriculum":  # shallow outputs first, deeper ones join as training goes on
            max_active = int(options.get("max_active_outputs", no_outputs))
            active = 1 + int(np.floor(p * (min(max_active, no_outputs) - 1) + 1e-9))
            w = np.where(depth >= no_outputs - active, 1.0, 0.0)
        else:  # step_wise
            threshold = float(options.get("threshold", 0.5))
            w = np.ones(no_outputs) if p < threshold else np.where(depth == 0, 1.0, 0.0)
        w = _normalise(w)
        return w[::-1].copy() if invert_order else w

    return schedule
