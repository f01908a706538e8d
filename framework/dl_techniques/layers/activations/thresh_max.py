"""ThreshMax: softmax with differentiable suppression of below-uniform probabilities."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dl_techniques")
class ThreshMax(keras.layers.Layer):
    """Differentiable confidence thresholding of a softmax distribution.

    With ``N`` the size of ``axis``, ``s`` the (positive) slope and ``eps`` the epsilon, the
    layer computes, slice by slice::

        p      = softmax(x)                          # along axis
        excess = p - 1 / N                           # margin over the uniform probability
        m      = softplus(s * N * excess) / (s * N)  # smooth relu(excess), >= 0
        y      = m / (sum(m) + eps)                  # renormalised
        y      = p   if sum(relu(excess)) <= eps     # nothing above uniform: plain softmax

    ``softplus(s*N*e)/(s*N)`` tends to ``relu(e)`` as the slope grows, so entries below the
    uniform level are pushed towards zero while larger ones keep their ordering. Scaling the
    slope by ``N`` makes its effect independent of the number of entries (it acts on
    ``N * p - 1``, the ratio to uniform minus one). The fallback only triggers for an
    (almost) uniform slice, where both branches coincide, so the output stays continuous.

    :param axis: axis that is normalised.
    :param slope: sharpness ``s`` of the smooth clipping (> 0).
    :param epsilon: stabiliser of the renormalisation and degeneracy threshold (> 0).
    :param trainable_slope: learn the slope as a scalar weight.
    """

    def __init__(
        self,
        axis: int = -1,
        slope: float = 10.0,
        epsilon: float = 1e-12,
        trainable_slope: bool = False,
        **kwargs: Any,
    ) -> None:
        """Validate and store the configuration."""
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"axis must be an int, got {axis!r}")
        if slope <= 0:
            raise ValueError(f"slope must be > 0, got {slope}")
        if epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        self.axis = axis
        self.slope = float(slope)
        self.epsilon = float(epsilon)
        self.trainable_slope = bool(trainable_slope)
        self.slope_weight = None

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Create the scalar slope weight (trainable only when ``trainable_slope``)."""
        self.slope_weight = self.add_weight(
            name="slope",
            shape=(),
            initializer=keras.initializers.Constant(self.slope),
            trainable=self.trainable_slope,
        )
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Apply the thresholded softmax described in the class docstring."""
        probs = ops.softmax(inputs, axis=self.axis)
        n = ops.cast(ops.shape(probs)[self.axis], probs.dtype)
        excess = probs - 1.0 / n
        scale = ops.cast(self.slope_weight, probs.dtype) * n
        clipped = ops.softplus(scale * excess) / scale
        total = ops.sum(clipped, axis=self.axis, keepdims=True)
        thresholded = clipped / (total + self.epsilon)
        above = ops.sum(ops.relu(excess), axis=self.axis, keepdims=True)
        return ops.where(above <= self.epsilon, probs, thresholded)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "slope": self.slope,
            "epsilon": self.epsilon,
            "trainable_slope": self.trainable_slope,
        })
        return config
