"""Attention with Linear Biases (``alibi`` in the attention factory).

ALiBi (Press et al., "Train Short, Test Long", 2022) uses no position embedding; instead
every head ``h`` adds ``-m_h * |i - j|`` to the score of query ``i`` and key ``j``. The
slopes ``m_h`` form a geometric sequence that depends only on the number of heads.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import keras
import numpy as np
from keras import ops

from dl_techniques.layers.attention._base import BaseAttention
from dl_techniques.layers.attention.utils import (
    build_attention_mask,
    check_input_rank,
    dot_product_attention,
    merge_heads,
    padding_mask_for_output,
    split_heads,
)


def get_alibi_slopes(num_heads: int) -> List[float]:
    """The standard ALiBi head slopes.

    For a power of two ``n`` the slopes are ``2^(-8/n * k)`` for ``k = 1..n``. Otherwise the
    slopes of the largest power of two ``p < n`` are followed by every other slope of
    ``2p`` (the odd ones), up to ``n`` slopes in total.

    :param num_heads: number of heads.
    :return: one slope per head, largest first.
    """
    if not isinstance(num_heads, int) or num_heads <= 0:
        raise ValueError(f"num_heads must be a positive int, got {num_heads!r}")

    def power_of_two_slopes(n: int) -> List[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (k + 1) for k in range(n)]

    if math.log2(num_heads).is_integer():
        return power_of_two_slopes(num_heads)
    closest = 2 ** int(math.floor(math.log2(num_heads)))
    extra = power_of_two_slopes(2 * closest)[0::2][: num_heads - closest]
    return power_of_two_slopes(closest) + extra


@keras.saving.register_keras_serializable(package="dl_techniques")
class ALiBiAttention(BaseAttention):
    """Multi-head self-attention with ALiBi linear position biases.

    Scores are ``q k^T / sqrt(head_dim) - m_h * |i - j|`` (query positions are aligned to
    the end of the keys when their lengths differ), then masked and normalised by a
    ``ProbabilityOutput``. With ``causal=True`` this is the original decoder formulation;
    without it the symmetric distance penalty is used for bidirectional encoders.

    Input ``(batch, seq_len, features)``, output ``(batch, seq_len, dim)``.

    :param dim: model (output) dimension.
    :param num_heads: number of attention heads.
    :param head_dim: size of each head; ``dim // num_heads`` when ``None``.
    :param dropout_rate: dropout on the attention weights.
    :param use_bias: whether the projections have a bias.
    :param causal: hide future keys from each query.
    :param probability_type: ``ProbabilityOutput`` type used to normalise the scores.
    :param probability_config: ``type_config`` of that ``ProbabilityOutput``.
    :param kernel_initializer: initializer of the projection kernels.
    :param bias_initializer: initializer of the projection biases.
    :param kernel_regularizer: regularizer of the projection kernels.
    :param bias_regularizer: regularizer of the projection biases.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        head_dim: Optional[int] = None,
        dropout_rate: float = 0.0,
        use_bias: bool = False,
        causal: bool = False,
        probability_type: str = "softmax",
        probability_config: Optional[Dict[str, Any]] = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        """Validate the configuration, compute the slopes and create the sub-layers."""
        super().__init__(
            dim=dim,
            num_heads=num_heads,
            head_dim=head_dim,
            dropout_rate=dropout_rate,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            **kwargs,
        )
        self.causal = causal
        self.slopes = np.asarray(get_alibi_slopes(num_heads), dtype="float32")
        self._create_projections()
        self._create_score_layers(probability_type, probability_config)

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build the projections and the score activation."""
        check_input_rank(input_shape, self.__class__.__name__)
        batch, seq_len = input_shape[0], input_shape[1]
        self._build_projections(input_shape)
        self._build_score_layers((batch, self.num_heads, seq_len, seq_len))
        super().build(input_shape)

    def alibi_bias(self, query_len: Any, key_len: Any) -> Any:
        """The ``(1, num_heads, query_len, key_len)`` bias ``-m_h * |i + offset - j|``.

        :param query_len: number of queries.
        :param key_len: number of keys (``offset = key_len - query_len``).
        :return: float32 bias tensor.
        """
        offset = ops.cast(key_len, "int32") - ops.cast(query_len, "int32")
        rows = ops.expand_dims(ops.arange(query_len, dtype="int32") + offset, axis=1)
        cols = ops.expand_dims(ops.arange(key_len, dtype="int32"), axis=0)
        distance = ops.cast(ops.abs(rows - cols), "float32")
        slopes = ops.reshape(ops.convert_to_tensor(self.slopes), (1, self.num_heads, 1, 1))
        return -slopes * distance[None, None, :, :]

    def call(self, inputs: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Attend over ``inputs`` with ALiBi biases.

        :param inputs: ``(batch, seq_len, features)``.
        :param mask: optional mask (see :mod:`dl_techniques.layers.attention.utils`);
            non-zero means attend.
        :param training: enables the attention dropout.
        :return: ``(batch, seq_len, dim)``.
        """
        query = split_heads(self.query_proj(inputs), self.num_heads, self.head_dim)
        key = split_heads(self.key_proj(inputs), self.num_heads, self.head_dim)
        value = split_heads(self.value_proj(inputs), self.num_heads, self.head_dim)
        seq_len = ops.shape(inputs)[1]
        attention_mask = build_attention_mask(mask, seq_len, seq_len, causal=self.causal)
        context = dot_product_attention(
            query,
            key,
            value,
            self.score_activation,
            mask=attention_mask,
            bias=self.alibi_bias(seq_len, seq_len),
            dropout=self.attention_dropout,
            training=training,
        )
        return self.output_proj(merge_heads(context))

    def compute_mask(self, inputs: Any, mask: Optional[Any] = None) -> Optional[Any]:
        """Propagate a ``(batch, seq_len)`` padding mask; drop any other mask."""
        return padding_mask_for_output(mask)

    def compute_output_shape(self, input_shape: Tuple[Optional[int], ...]) -> Tuple[Optional[int], ...]:
        """``(batch, seq_len, dim)``."""
        return tuple(input_shape[:-1]) + (self.dim,)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "causal": self.causal,
                "probability_type": self.probability_type,
                "probability_config": self.probability_config,
            }
        )
        return config
