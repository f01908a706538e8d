"""Dual rotary position embedding: one RoPE for global and one for local attention layers.

Models that interleave global (full-context) and local (sliding-window) attention, such as
Gemma 3, use a large wavelength base for the global layers (long-range positions stay
distinguishable) and the classic base for the local ones. This layer holds both rotations
and picks one per call.
"""

from __future__ import annotations

from typing import Any

import keras

from dl_techniques.layers.embedding.rotary_position_embedding import (
    RotaryPositionEmbedding,
)

_ROPE_TYPES = ("global", "local")


@keras.saving.register_keras_serializable(package="dl_techniques")
class DualRotaryPositionEmbedding(keras.layers.Layer):
    """Two rotary embeddings with different wavelength bases, selected per call.

    :param head_dim: features per attention head; positive and even.
    :param max_seq_len: largest sequence length accepted.
    :param global_theta: wavelength base of the ``"global"`` rotation.
    :param local_theta: wavelength base of the ``"local"`` rotation.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, rope_type="global")`` with ``inputs`` of shape
    ``(batch, num_heads, seq_len, head_dim)`` and ``rope_type`` either ``"global"`` or
    ``"local"`` (a Python string, fixed when the graph is traced). Returns the rotated
    tensor, same shape. Both rotations rotate the full ``head_dim``.
    """

    def __init__(
        self,
        head_dim: int,
        max_seq_len: int,
        global_theta: float = 1_000_000.0,
        local_theta: float = 10_000.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not global_theta > 0 or not local_theta > 0:
            raise ValueError(
                f"global_theta and local_theta must be > 0, got {global_theta!r} and {local_theta!r}."
            )
        self.head_dim = head_dim
        self.max_seq_len = max_seq_len
        self.global_theta = global_theta
        self.local_theta = local_theta
        # RotaryPositionEmbedding validates head_dim and max_seq_len.
        self.global_rope = RotaryPositionEmbedding(
            head_dim=head_dim, max_seq_len=max_seq_len, rope_theta=global_theta, name="global_rope"
        )
        self.local_rope = RotaryPositionEmbedding(
            head_dim=head_dim, max_seq_len=max_seq_len, rope_theta=local_theta, name="local_rope"
        )

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build both rotations for ``input_shape``."""
        self.global_rope.build(input_shape)
        self.local_rope.build(input_shape)
        super().build(input_shape)

    def call(self, inputs: Any, rope_type: str = "global") -> Any:
        """Rotate ``inputs`` with the ``"global"`` or the ``"local"`` wavelength base."""
        if rope_type == "global":
            return self.global_rope(inputs)
        if rope_type == "local":
            return self.local_rope(inputs)
        raise ValueError(f"rope_type must be one of {list(_ROPE_TYPES)}, got {rope_type!r}.")

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
                "global_theta": self.global_theta,
                "local_theta": self.local_theta,
            }
        )
        return config
