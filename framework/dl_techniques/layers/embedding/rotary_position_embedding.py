"""Rotary position embedding (RoPE, Su et al. 2021 "RoFormer") for attention heads.

The layer turns each query or key vector by position-dependent angles, so that the dot
product of a rotated query at position ``m`` and a rotated key at position ``n`` depends on
the two positions only through ``m - n``. Rotation preserves vector norms.

Convention: half-split ("rotate half"). Of the rotated width ``r``, coordinates ``i`` and
``i + r/2`` form plane ``i``, which is turned by ``position * theta ** (-2i / r)``.
With ``rope_percentage < 1`` only the first ``r = int(head_dim * rope_percentage)`` features
(rounded down to an even number) are rotated; the tail is returned unchanged (partial
rotary, as in GPT-NeoX).

Obtain it through the factory outside this package::

    rope = create_embedding_layer("rope", head_dim=64, max_seq_len=2048)
    q = rope(q)  # q: (batch, num_heads, seq_len, head_dim)
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from dl_techniques.layers.embedding._rotary import (
    check_sequence_input,
    check_sequence_length,
    rotary_tables,
    rotate_with_tables,
)


def rotary_dimension(head_dim: int, rope_percentage: float) -> int:
    """Number of rotated features: ``int(head_dim * rope_percentage)`` rounded down to even.

    :param head_dim: features per head.
    :param rope_percentage: fraction of ``head_dim`` to rotate, in ``(0, 1]``.
    :return: the even rotated width (may be 0 for a tiny fraction).
    """
    width = int(head_dim * rope_percentage)
    return width - (width % 2)


@keras.saving.register_keras_serializable(package="dl_techniques")
class RotaryPositionEmbedding(keras.layers.Layer):
    """Rotary position embedding applied to per-head queries or keys.

    :param head_dim: features per attention head; must be a positive even integer.
    :param max_seq_len: largest sequence length the layer accepts (size of the cos/sin tables).
    :param rope_theta: wavelength base of the frequency ladder (10000 in RoFormer).
    :param rope_percentage: fraction of ``head_dim`` that is rotated, in ``(0, 1]``; the rotated
        width is ``int(head_dim * rope_percentage)`` rounded down to even and must be >= 2.
    :param kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call: ``layer(inputs)`` with ``inputs`` of shape ``(batch, num_heads, seq_len, head_dim)``
    (a rank-3 ``(batch, seq_len, head_dim)`` also works: the sequence axis is always ``-2``).
    Returns a tensor of the same shape. ``seq_len`` must not exceed ``max_seq_len``
    (``ValueError`` at build / call time when the length is known statically).

    The cos/sin tables are non-trainable weights created in :meth:`build`.
    """

    def __init__(
        self,
        head_dim: int,
        max_seq_len: int,
        rope_theta: float = 10000.0,
        rope_percentage: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(head_dim, int) or head_dim <= 0 or head_dim % 2 != 0:
            raise ValueError(f"head_dim must be a positive even integer, got {head_dim!r}.")
        if not isinstance(max_seq_len, int) or max_seq_len <= 0:
            raise ValueError(f"max_seq_len must be a positive integer, got {max_seq_len!r}.")
        if not rope_theta > 0:
            raise ValueError(f"rope_theta must be > 0, got {rope_theta!r}.")
        if not 0.0 < rope_percentage <= 1.0:
            raise ValueError(f"rope_percentage must be in (0, 1], got {rope_percentage!r}.")
        rotary_dim = rotary_dimension(head_dim, rope_percentage)
        if rotary_dim < 2:
            raise ValueError(
                f"rope_percentage={rope_percentage} rotates {rotary_dim} of head_dim={head_dim} "
                "features; at least 2 are needed."
            )
        self.head_dim = head_dim
        self.max_seq_len = max_seq_len
        self.rope_theta = rope_theta
        self.rope_percentage = rope_percentage
        self.rotary_dim = rotary_dim
        self.cos_table = None
        self.sin_table = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Validate the input shape and create the non-trainable cos/sin tables."""
        check_sequence_input(self.__class__.__name__, input_shape, self.head_dim, self.max_seq_len)
        cos, sin = rotary_tables(self.max_seq_len, self.rotary_dim, self.rope_theta)
        table_shape = (self.max_seq_len, self.rotary_dim)
        self.cos_table = self.add_weight(
            name="cos_table", shape=table_shape, initializer="zeros", trainable=False
        )
        self.sin_table = self.add_weight(
            name="sin_table", shape=table_shape, initializer="zeros", trainable=False
        )
        self.cos_table.assign(cos)
        self.sin_table.assign(sin)
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Rotate ``inputs`` of shape ``(..., seq_len, head_dim)`` by their positions."""
        seq_len = ops.shape(inputs)[-2]
        check_sequence_length(self.__class__.__name__, seq_len, self.max_seq_len)
        cos = ops.cast(ops.slice(ops.convert_to_tensor(self.cos_table), (0, 0), (seq_len, self.rotary_dim)), inputs.dtype)
        sin = ops.cast(ops.slice(ops.convert_to_tensor(self.sin_table), (0, 0), (seq_len, self.rotary_dim)), inputs.dtype)
        return rotate_with_tables(inputs, cos, sin, self.rotary_dim)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "head_dim": self.head_dim,
                "max_seq_len": self.max_seq_len,
                "rope_theta": self.rope_theta,
                "rope_percentage": self.rope_percentage,
            }
        )
        return config
