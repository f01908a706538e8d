"""Multi-head cross-attention (``multi_head_cross`` in the attention factory)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras

from dl_techniques.layers.attention._base import BaseAttention
from dl_techniques.layers.attention.utils import (
    build_attention_mask,
    check_input_rank,
    dot_product_attention,
    merge_heads,
    split_heads,
)


@keras.saving.register_keras_serializable(package="dl_techniques")
class MultiHeadCrossAttention(BaseAttention):
    """Multi-head attention of a query sequence over a separate context sequence.

    Calling convention: ``layer(query, context=None, mask=None, training=None)``.
    Queries come from ``query_proj(query)``; keys and values from ``key_proj(context)`` and
    ``value_proj(context)``. Without ``context`` the layer attends over ``query`` itself.
    ``context`` is a normal call argument, so ``layer(q, context=c)`` with symbolic ``q``
    and ``c`` works in a functional model and survives ``.keras`` save / load. The context
    may have another length and feature size than the query.

    ``mask`` refers to the *keys* (the context): ``(batch, context_len)`` padding, or a
    full ``(batch, query_len, context_len)`` / ``(batch, num_heads, query_len, context_len)``
    mask; non-zero means attend. The layer does not propagate a Keras mask to its output.

    Output ``(batch, query_len, dim)``.

    :param dim: model (output) dimension.
    :param num_heads: number of attention heads.
    :param head_dim: size of each head; ``dim // num_heads`` when ``None``.
    :param dropout_rate: dropout on the attention weights.
    :param use_bias: whether the projections have a bias.
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
        self._create_projections()
        self._create_score_layers(probability_type, probability_config)

    def build(
        self,
        query_shape: Tuple[Optional[int], ...],
        context_shape: Optional[Tuple[Optional[int], ...]] = None,
    ) -> None:
        """Build the projections; ``context_shape`` defaults to ``query_shape``.

        :param query_shape: ``(batch, query_len, query_features)``.
        :param context_shape: ``(batch, context_len, context_features)`` or ``None``.
        """
        check_input_rank(query_shape, self.__class__.__name__)
        if context_shape is None:
            context_shape = query_shape
        check_input_rank(context_shape, self.__class__.__name__ + " context")
        batch, query_len, context_len = query_shape[0], query_shape[1], context_shape[1]
        self._build_projections(query_shape, context_shape)
        self._build_score_layers((batch, self.num_heads, query_len, context_len))
        super().build(query_shape)

    def call(
        self,
        query: Any,
        context: Optional[Any] = None,
        mask: Optional[Any] = None,
        training: Optional[bool] = None,
    ) -> Any:
        """Attend from ``query`` over ``context``.

        :param query: ``(batch, query_len, features)``.
        :param context: ``(batch, context_len, context_features)``; ``query`` when ``None``.
        :param mask: optional key mask (see the class docstring).
        :param training: enables the attention dropout.
        :return: ``(batch, query_len, dim)``.
        """
        if context is None:
            context = query
        q = split_heads(self.query_proj(query), self.num_heads, self.head_dim)
        k = split_heads(self.key_proj(context), self.num_heads, self.head_dim)
        v = split_heads(self.value_proj(context), self.num_heads, self.head_dim)
        attention_mask = build_attention_mask(mask)
        out = dot_product_attention(
            q,
            k,
            v,
            self.score_activation,
            mask=attention_mask,
            dropout=self.attention_dropout,
            training=training,
        )
        return self.output_proj(merge_heads(out))

    def compute_mask(
        self, query: Any, mask: Optional[Any] = None
    ) -> Optional[Any]:
        """No output mask: ``mask`` describes the context, not the query positions."""
        return None

    def compute_output_shape(
        self,
        query_shape: Tuple[Optional[int], ...],
        context_shape: Optional[Tuple[Optional[int], ...]] = None,
    ) -> Tuple[Optional[int], ...]:
        """``(batch, query_len, dim)``."""
        return tuple(query_shape[:-1]) + (self.dim,)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "probability_type": self.probability_type,
                "probability_config": self.probability_config,
            }
        )
        return config
