"""Plain softmax normalisation as a serializable layer (the ``softmax`` probability type)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dl_techniques")
class SoftmaxLayer(keras.layers.Layer):
    """Softmax along one axis: ``exp(x - max) / sum(exp(x - max))``.

    :param axis: axis that is normalised (default ``-1``).
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        """Store the normalisation axis."""
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"axis must be an int, got {axis!r}")
        self.axis = axis

    def call(self, inputs: Any) -> Any:
        """Return ``softmax(inputs)`` along ``axis``."""
        return ops.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({"axis": self.axis})
        return config
