"""Root-mean-square normalization (Zhang & Sennrich, 2019)."""

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
class RMSNorm(keras.layers.Layer):
    """``y = x / sqrt(mean(x**2, axis) + epsilon) * scale``.

    No mean subtraction and no bias: cheaper than layer normalization and the default of
    modern transformer stacks.

    :param axis: axis or axes over which the root mean square is taken.
    :param epsilon: small constant added to the mean square (> 0).
    :param use_scale: learn a per-feature scale over ``axis``.
    :param scale_initializer: initializer of the scale.
    """

    def __init__(
        self,
        axis: AxisSpec = -1,
        epsilon: float = 1e-6,
        use_scale: bool = True,
        scale_initializer: Any = "ones",
        **kwargs: Any,
    ) -> None:
        """Validate and store the configuration."""
        super().__init__(**kwargs)
        validate_axis(axis)
        if epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        self.axis = axis_to_config(axis)
        self.epsilon = float(epsilon)
        self.use_scale = bool(use_scale)
        self.scale_initializer = keras.initializers.get(scale_initializer)
        self.scale = None
        self._axes: tuple[int, ...] = ()
        self._broadcast_shape: tuple[int, ...] = ()

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Resolve the axes and create the scale."""
        self._axes = normalize_axes(self.axis, len(input_shape))
        weight_shape, self._broadcast_shape = param_shapes(input_shape, self._axes)
        if self.use_scale:
            self.scale = self.add_weight(
                name="scale", shape=weight_shape, initializer=self.scale_initializer,
                trainable=True,
            )
        super().build(input_shape)

    def _normalise(self, x: Any) -> Any:
        """RMS-normalise ``x`` over the resolved axes (no scale)."""
        mean_square = ops.mean(ops.square(x), axis=self._axes, keepdims=True)
        return x * ops.rsqrt(mean_square + self.epsilon)

    def call(self, inputs: Any) -> Any:
        """Normalise and scale ``inputs``."""
        outputs = self._normalise(inputs)
        if self.use_scale:
            outputs = outputs * ops.reshape(ops.cast(self.scale, outputs.dtype),
                                            self._broadcast_shape)
        return outputs

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "use_scale": self.use_scale,
            "scale_initializer": keras.initializers.serialize(self.scale_initializer),
        })
        return config
