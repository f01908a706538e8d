"""Softmax whose temperature adapts to the entropy of the distribution."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dl_techniques")
class AdaptiveTemperatureSoftmax(keras.layers.Layer):
    """Entropy-aware softmax that sharpens distributions that are too flat.

    Per slice along ``axis`` (size ``N``)::

        p = softmax(x)
        h = -sum(p * log(p + eps)) / log(N)          # normalised entropy in [0, 1]
        r = clip((h - entropy_threshold) / (1 - entropy_threshold), 0, 1)
        T = max_temp - (max_temp - min_temp) * r
        y = softmax(x / T)

    A confident (low entropy, ``h <= entropy_threshold``) slice keeps ``T = max_temp``; a flat
    slice (``h = 1``) gets ``T = min_temp``, the sharpest setting; in between ``T`` falls
    linearly. The temperature is treated as a constant for gradients (``stop_gradient``).
    For ``N = 1`` the entropy is zero and ``T = max_temp``.

    :param axis: axis that is normalised.
    :param min_temp: temperature of a maximally flat slice (> 0).
    :param max_temp: temperature of a confident slice (>= ``min_temp``).
    :param entropy_threshold: normalised entropy in ``[0, 1)`` above which sharpening starts.
    :param eps: stabiliser inside the logarithm (> 0).
    """

    def __init__(
        self,
        axis: int = -1,
        min_temp: float = 0.1,
        max_temp: float = 1.0,
        entropy_threshold: float = 0.5,
        eps: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        """Validate and store the configuration."""
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"axis must be an int, got {axis!r}")
        if min_temp <= 0:
            raise ValueError(f"min_temp must be > 0, got {min_temp}")
        if min_temp > max_temp:
            raise ValueError(f"min_temp ({min_temp}) must be <= max_temp ({max_temp})")
        if not 0.0 <= entropy_threshold < 1.0:
            raise ValueError(f"entropy_threshold must be in [0, 1), got {entropy_threshold}")
        if eps <= 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        self.axis = axis
        self.min_temp = float(min_temp)
        self.max_temp = float(max_temp)
        self.entropy_threshold = float(entropy_threshold)
        self.eps = float(eps)

    def compute_temperature(self, inputs: Any) -> Any:
        """Temperature per slice (shape of ``inputs`` with ``axis`` kept as size 1)."""
        x = ops.convert_to_tensor(inputs)
        probs = ops.softmax(x, axis=self.axis)
        entropy = -ops.sum(probs * ops.log(probs + self.eps), axis=self.axis, keepdims=True)
        n = ops.cast(ops.shape(x)[self.axis], x.dtype)
        log_n = ops.maximum(ops.log(n), math.log(1.0 + 1e-6))
        normalised = ops.clip(entropy / log_n, 0.0, 1.0)
        ramp = ops.clip(
            (normalised - self.entropy_threshold) / (1.0 - self.entropy_threshold), 0.0, 1.0
        )
        temperature = self.max_temp - (self.max_temp - self.min_temp) * ramp
        return ops.stop_gradient(temperature)

    def call(self, inputs: Any) -> Any:
        """Return ``softmax(inputs / T)`` with the entropy-dependent temperature ``T``."""
        temperature = self.compute_temperature(inputs)
        return ops.softmax(inputs / temperature, axis=self.axis)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "min_temp": self.min_temp,
            "max_temp": self.max_temp,
            "entropy_threshold": self.entropy_threshold,
            "eps": self.eps,
        })
        return config
