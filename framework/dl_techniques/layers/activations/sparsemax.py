"""Sparsemax: Euclidean projection onto the probability simplex (Martins & Astudillo, 2016)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


def sparsemax(logits: Any, axis: int = -1) -> Any:
    """Exact sparsemax of ``logits`` along ``axis`` using ``keras.ops`` only.

    With ``z`` sorted in decreasing order along the axis and ``k = 1..N``, the support size is
    ``k(z) = max{k : 1 + k * z_(k) > sum_{j<=k} z_(j)}``, the threshold is
    ``tau = (sum_{j<=k(z)} z_(j) - 1) / k(z)`` and the output is ``max(z - tau, 0)``. Entries
    outside the support are exactly zero and every slice sums to one.

    :param logits: tensor of any rank (at least 1).
    :param axis: axis that is projected onto the simplex.
    :return: tensor of the same shape.
    """
    x = ops.convert_to_tensor(logits)
    # Sparsemax is invariant to adding a constant per slice; centring on the max keeps the
    # cumulative sums small.
    z = x - ops.max(x, axis=axis, keepdims=True)
    z_sorted = -ops.sort(-z, axis=axis)  # decreasing order
    cumulative = ops.cumsum(z_sorted, axis=axis)
    k = ops.cumsum(ops.ones_like(z_sorted), axis=axis)  # 1, 2, ..., N along the axis
    in_support = ops.greater(1.0 + k * z_sorted, cumulative)
    support_size = ops.sum(ops.cast(in_support, z.dtype), axis=axis, keepdims=True)
    # The support is a prefix of the sorted values, so its cumulative sum is a masked sum.
    support_sum = ops.sum(ops.where(in_support, z_sorted, ops.zeros_like(z_sorted)),
                          axis=axis, keepdims=True)
    tau = (support_sum - 1.0) / support_size
    return ops.maximum(z - tau, 0.0)


@keras.saving.register_keras_serializable(package="dl_techniques")
class Sparsemax(keras.layers.Layer):
    """Sparsemax normalisation layer: a sparse alternative to softmax with exact zeros.

    :param axis: axis that is normalised (default ``-1``).
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        """Store the normalisation axis."""
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"axis must be an int, got {axis!r}")
        self.axis = axis

    def call(self, inputs: Any) -> Any:
        """Return ``sparsemax(inputs)`` along ``axis``."""
        return sparsemax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({"axis": self.axis})
        return config
