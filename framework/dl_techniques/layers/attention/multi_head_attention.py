"""Standard multi-head self-attention (``multi_head`` in the attention factory)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras

from dl_techniques.layers.attention._base import BaseAttention
from dl_techniques.layers.attention.utils import (
    build_attention_mask,
    check_input_rank,
    dot_product_attention,
    merge_heads,
    padding_mask_for_output,
    split_heads,
)


@keras.saving.register_keras_serializable(package="dl_techniques")
class MultiHeadAttention(BaseAttention):
    """Multi-head scaled dot-product self-attention.

    ``query_proj`` / ``key_proj`` / ``value_proj`` map the input to ``num_heads`` heads of
    size ``head_dim``; scores ``q k^T / sqrt(head_dim)`` are normalised by a
    ``ProbabilityOutput`` (softmax by default) and ``output_proj`` maps the merged heads
    back to ``dim``. This is the framework's own layer, registered as
    ``dl_techniques>MultiHeadAttention``; it does not replace ``keras.layers.MultiHeadAttention``.

    Input ``(batch, seq_len, features)``, output ``(batch, seq_len, dim)``.

    :param dim: model (output) dimension.
    :param num_heads: number of attention heads.
    :param head_dim: size of each head; ``dim // num_heads`` when ``None``.
    :param dropout_rate: dropout on the attention weights.
    :param use_bias: whether the projections have a bias.
    :param causal: hide future keys from each query.
    :param use_rope: rotate queries and keys with rotary position embeddings.
    :param max_seq_len: longest sequence the rotary table covers (``use_rope`` only).
    :param rope_theta: rotary base frequency (``use_rope`` only).
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
        use_rope: bool = False,
        max_seq_len: int = 2048,
        rope_theta: float = 10000.0,
        probability_type: str = "softmax",
        probability_config: Optional[Dict[str, Any]] = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        """Validate the configuration and create the (unbuilt) sub-layers."""
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
        self._create_projections()
        self._create_score_layers(probability_type, probability_config)
        self._create_rope(use_rope, max_seq_len, rope_theta)

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build the projections, the score activation and the optional RoPE layer."""
        check_input_rank(input_shape, self.__class__.__name__)
        batch, seq_len = input_shape[0], input_shape[1]
        self._build_projections(input_shape)
        self._build_score_layers((batch, self.num_heads, seq_len, seq_len))
        if self.rope is not None:
            self.rope.build((batch, self.num_heads, seq_len, self.head_dim))
        super().build(input_shape)

    def call(self, inputs: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Attend over ``inputs``.

        :param inputs: ``(batch, seq_len, features)``.
        :param mask: optional mask (see :mod:`dl_techniques.layers.attention.utils`);
            non-zero means attend.
        :param training: enables the attention dropout.
        :return: ``(batch, seq_len, dim)``.
        """
        query = split_heads(self.query_proj(inputs), self.num_heads, self.head_dim)
        key = split_heads(self.key_proj(inputs), self.num_heads, self.head_dim)
        value = split_heads(self.value_proj(inputs), self.num_heads, self.head_dim)
        if self.rope is not None:
            query = self.rope(query)
            key = self.rope(key)
        seq_len = keras.ops.shape(inputs)[1]
        attention_mask = build_attention_mask(mask, seq_len, seq_len, causal=self.causal)
        context = dot_product_attention(
            query,
            key,
            value,
            self.score_activation,
            mask=attention_mask,
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
                "use_rope": self.use_rope,
                "max_seq_len": self.max_seq_len,
                "rope_theta": self.rope_theta,
                "probability_type": self.probability_type,
                "probability_config": self.probability_config,
            }
        )
        return config
