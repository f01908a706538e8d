"""Learned absolute position embedding (BERT / GPT-2 / ViT style).

A trainable table of ``max_seq_len`` vectors; row ``p`` is added to the token vector at
position ``p``, followed by optional dropout.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from dl_techniques.layers.embedding._rotary import check_sequence_length


@keras.saving.register_keras_serializable(package="dl_techniques")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned position vector to every position of a ``(batch, seq_len, dim)`` input.

    :param max_seq_len: number of rows of the position table (longest accepted sequence).
    :param dim: feature dimension; must match the input's last axis.
    :param initializer: initializer of the position table.
    :param dropout_rate: dropout applied after the addition, in ``[0, 1)``.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, training=None)`` with ``inputs`` ``(batch, seq_len, dim)``,
    ``seq_len <= max_seq_len``; returns ``inputs + table[:seq_len]`` (same shape).
    """

    def __init__(
        self,
        max_seq_len: int,
        dim: int,
        initializer: str | keras.initializers.Initializer = "truncated_normal",
        dropout_rate: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_seq_len, int) or max_seq_len <= 0:
            raise ValueError(f"max_seq_len must be a positive integer, got {max_seq_len!r}.")
        if not isinstance(dim, int) or dim <= 0:
            raise ValueError(f"dim must be a positive integer, got {dim!r}.")
        if not 0.0 <= dropout_rate < 1.0:
            raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate!r}.")
        self.max_seq_len = max_seq_len
        self.dim = dim
        self.initializer = keras.initializers.get(initializer)
        self.dropout_rate = dropout_rate
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout")
        self.position_embeddings = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Validate the input shape and create the position table."""
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ValueError(f"PositionEmbedding expects (batch, seq_len, dim) inputs, got {shape}.")
        if shape[-1] is not None and shape[-1] != self.dim:
            raise ValueError(f"PositionEmbedding: input last dimension {shape[-1]} != dim={self.dim}.")
        check_sequence_length(self.__class__.__name__, shape[1], self.max_seq_len)
        self.position_embeddings = self.add_weight(
            name="position_embeddings",
            shape=(self.max_seq_len, self.dim),
            initializer=self.initializer,
            trainable=True,
        )
        self.dropout.build(input_shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Add the first ``seq_len`` rows of the table to ``inputs``."""
        seq_len = ops.shape(inputs)[1]
        check_sequence_length(self.__class__.__name__, seq_len, self.max_seq_len)
        positions = ops.slice(ops.convert_to_tensor(self.position_embeddings), (0, 0), (seq_len, self.dim))
        outputs = inputs + ops.cast(ops.expand_dims(positions, 0), inputs.dtype)
        return self.dropout(outputs, training=training)

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
                "initializer": keras.initializers.serialize(self.initializer),
                "dropout_rate": self.dropout_rate,
            }
        )
        return config
