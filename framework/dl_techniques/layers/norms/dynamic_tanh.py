"""Dynamic Tanh (DyT): a normalization-free replacement for layer normalization."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from dl_techniques.layers.norms._axes import (
    AxisSpec,
    axis_to_config,
    normalize_axes,
    param_shapes,
    validate_axis,
)


@keras.saving.register_keras_serializable(package="dl_techniques")
class DynamicTanh(keras.layers.Layer):
    """``y = weight * tanh(alpha * x) + bias`` with a learnable scalar ``alpha``.

    ``weight`` (init ones) and ``bias`` (init zeros) are per-feature over ``axis``; ``alpha``
    starts at ``alpha_init_value``. There are no statistics and therefore no epsilon.

    :param axis: axis or axes that carry the per-feature weight and bias.
    :param alpha_init_value: initial value of ``alpha``.
    """

    def __init__(self, axis: AxisSpec = -1, alpha_init_value: float = 0.5, **kwargs: Any) -> None:
        """Validate and store the configuration."""
        super().__init__(**kwargs)
        validate_axis(axis)
        if not isinstance(alpha_init_value, (int, float)) or isinstance(alpha_init_value, bool):
            raise ValueError(f"alpha_init_value must be a number, got {alpha_init_value!r}")
        self.axis = axis_to_config(axis)
        self.alpha_init_value = float(alpha_init_value)
        self.alpha = None
        self.weight = None
        self.bias = None
        self._broadcast_shape: tuple[int, ...] = ()

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Create ``alpha``, ``weight`` and ``bias``."""
        axes = normalize_axes(self.axis, len(input_shape))
        weight_shape, self._broadcast_shape = param_shapes(input_shape, axes)
        self.alpha = self.add_weight(
            name="alpha", shape=(), trainable=True,
            initializer=keras.initializers.Constant(self.alpha_init_value),
        )
        self.weight = self.add_weight(name="weight", shape=weight_shape, initializer="ones",
                                      trainable=True)
        self.bias = self.add_weight(name="bias", shape=weight_shape, initializer="zeros",
                                    trainable=True)
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Apply ``weight * tanh(alpha * x) + bias``."""
        dtype = inputs.dtype
        weight = ops.reshape(ops.cast(self.weight, dtype), self._broadcast_shape)
        bias = ops.reshape(ops.cast(self.bias, dtype), self._broadcast_shape)
        return weight * ops.tanh(ops.cast(self.alpha, dtype) * inputs) + bias

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({"axis": self.axis, "alpha_init_value": self.alpha_init_value})
        return config
