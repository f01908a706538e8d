"""Fixed sinusoidal position encoding of "Attention Is All You Need" (Vaswani et al. 2017).

For position ``p`` and feature ``j`` the table holds

* ``sin(p / max_wavelength ** (j / dim))`` for even ``j``,
* ``cos(p / max_wavelength ** ((j - 1) / dim))`` for odd ``j``,

so features ``2i`` and ``2i + 1`` share one frequency. The table is added to the input.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from dl_techniques.layers.embedding._rotary import check_sequence_length


def sinusoidal_table(max_seq_len: int, dim: int, max_wavelength: float = 10000.0) -> np.ndarray:
    """The ``(max_seq_len, dim)`` sinusoidal table, computed in float64 and returned as float32.

    :param max_seq_len: number of positions.
    :param dim: number of features (odd widths end with a sine column).
    :param max_wavelength: wavelength base.
    :return: float32 array.
    """
    positions = np.arange(max_seq_len, dtype=np.float64)[:, None]
    pair_index = (np.arange(dim) // 2) * 2
    angles = positions / np.power(float(max_wavelength), pair_index / float(dim))[None, :]
    table = np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles))
    return table.astype("float32")


@keras.saving.register_keras_serializable(package="dl_techniques")
class SinusoidalPositionEmbedding(keras.layers.Layer):
    """Adds the fixed sinusoidal position table to a ``(batch, seq_len, dim)`` input.

    :param max_seq_len: longest accepted sequence (rows of the table).
    :param dim: feature dimension; must match the input's last axis.
    :param max_wavelength: wavelength base (10000 in the original Transformer).
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs)`` with ``inputs`` ``(batch, seq_len, dim)``, ``seq_len <=
    max_seq_len``; returns ``inputs + table[:seq_len]``. The table is a non-trainable weight
    created in :meth:`build`.
    """

    def __init__(self, max_seq_len: int, dim: int, max_wavelength: float = 10000.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_seq_len, int) or max_seq_len <= 0:
            raise ValueError(f"max_seq_len must be a positive integer, got {max_seq_len!r}.")
        if not isinstance(dim, int) or dim <= 0:
            raise ValueError(f"dim must be a positive integer, got {dim!r}.")
        if not max_wavelength > 0:
            raise ValueError(f"max_wavelength must be > 0, got {max_wavelength!r}.")
        self.max_seq_len = max_seq_len
        self.dim = dim
        self.max_wavelength = max_wavelength
        self.position_table = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Validate the input shape and create the fixed table."""
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ValueError(
                f"SinusoidalPositionEmbedding expects (batch, seq_len, dim) inputs, got {shape}."
            )
        if shape[-1] is not None and shape[-1] != self.dim:
            raise ValueError(
                f"SinusoidalPositionEmbedding: input last dimension {shape[-1]} != dim={self.dim}."
            )
        check_sequence_length(self.__class__.__name__, shape[1], self.max_seq_len)
        self.position_table = self.add_weight(
            name="position_table",
            shape=(self.max_seq_len, self.dim),
            initializer="zeros",
            trainable=False,
        )
        self.position_table.assign(sinusoidal_table(self.max_seq_len, self.dim, self.max_wavelength))
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Add the first ``seq_len`` rows of the table to ``inputs``."""
        seq_len = ops.shape(inputs)[1]
        check_sequence_length(self.__class__.__name__, seq_len, self.max_seq_len)
        table = ops.slice(ops.convert_to_tensor(self.position_table), (0, 0), (seq_len, self.dim))
        return inputs + ops.cast(ops.expand_dims(table, 0), inputs.dtype)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "max_seq_len": self.max_seq_len,
                "dim": self.dim,
                "max_wavelength": self.max_wavelength,
            }
        )
        return config
