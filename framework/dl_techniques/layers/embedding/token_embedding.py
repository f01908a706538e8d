"""Token embedding scaled by ``sqrt(dim)``, as in the original Transformer.

The scaling keeps the token vectors on a magnitude comparable to the (unit-amplitude)
sinusoidal position encoding that is usually added next.
"""

from __future__ import annotations

import math
from typing import Any

import keras

_DEFAULT_INITIALIZER = "glorot_uniform"


@keras.saving.register_keras_serializable(package="dl_techniques")
class TokenEmbedding(keras.layers.Layer):
    """Maps integer token ids to vectors and multiplies them by ``sqrt(dim)``.

    :param vocab_size: number of distinct token ids (ids lie in ``[0, vocab_size)``).
    :param dim: embedding dimension.
    :param embeddings_initializer: initializer of the embedding matrix (Xavier uniform by
        default).
    :param mask_zero: if ``True`` id 0 is padding and the layer produces a mask.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs)`` with integer ``inputs`` of any shape ``(batch, ...)``; returns
    ``(batch, ..., dim)`` equal to ``embeddings[inputs] * sqrt(dim)``.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        embeddings_initializer: str | keras.initializers.Initializer = _DEFAULT_INITIALIZER,
        mask_zero: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(vocab_size, int) or vocab_size <= 0:
            raise ValueError(f"vocab_size must be a positive integer, got {vocab_size!r}.")
        if not isinstance(dim, int) or dim <= 0:
            raise ValueError(f"dim must be a positive integer, got {dim!r}.")
        self.vocab_size = vocab_size
        self.dim = dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.scale = math.sqrt(dim)
        self.embedding = keras.layers.Embedding(
            input_dim=vocab_size,
            output_dim=dim,
            embeddings_initializer=self.embeddings_initializer,
            mask_zero=self.mask_zero,
            name="embedding",
        )

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build the wrapped ``keras.layers.Embedding``."""
        self.embedding.build(input_shape)
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Look up ``inputs`` and scale by ``sqrt(dim)``."""
        return self.embedding(inputs) * self.scale

    def compute_mask(self, inputs: Any, mask: Any | None = None) -> Any | None:
        """Padding mask (``inputs != 0``) when ``mask_zero`` is set, else ``None``."""
        return self.embedding.compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``input_shape + (dim,)``."""
        return tuple(input_shape) + (self.dim,)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "vocab_size": self.vocab_size,
                "dim": self.dim,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero,
            }
        )
        return config
