"""Kernelised linear attention (``linear`` in the attention factory).

Katharopoulos et al., "Transformers are RNNs" (2020): with the positive feature map
``phi(x) = elu(x) + 1`` the attention output of query ``i`` is

    out_i = phi(q_i)^T (sum_j phi(k_j) v_j^T) / (phi(q_i)^T sum_j phi(k_j) + epsilon)

which costs ``O(seq_len * head_dim^2)`` instead of ``O(seq_len^2 * head_dim)``. The
normalisation is this ratio, not a softmax, so the layer has no ``probability_*`` options.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras
from keras import ops

from dl_techniques.layers.attention._base import BaseAttention
from dl_techniques.layers.attention.utils import (
    check_input_rank,
    merge_heads,
    padding_mask_for_output,
    split_heads,
)


def elu_feature_map(x: Any) -> Any:
    """The positive feature map ``elu(x) + 1`` of linear attention.

    :param x: any tensor.
    :return: ``elu(x) + 1`` (strictly positive).
    """
    return ops.elu(x) + 1.0


@keras.saving.register_keras_serializable(package="dl_techniques")
class LinearAttention(BaseAttention):
    """Multi-head linear attention with the ``elu + 1`` feature map.

    With ``causal=True`` the key/value summaries are prefix sums, so query ``i`` only sees
    keys ``j <= i``. Masks: only ``(batch, seq_len)`` padding masks can be applied in
    linear time (masked keys are removed from the sums); full ``(batch, q, k)`` masks raise
    ``ValueError``. ``dropout_rate`` applies to the merged attention output before
    ``output_proj`` (there is no attention matrix to drop from).

    Input ``(batch, seq_len, features)``, output ``(batch, seq_len, dim)``.

    :param dim: model (output) dimension.
    :param num_heads: number of attention heads.
    :param head_dim: size of each head; ``dim // num_heads`` when ``None``.
    :param dropout_rate: dropout on the attention output.
    :param use_bias: whether the projections have a bias.
    :param causal: use prefix sums so that each query only sees the past.
    :param epsilon: added to the normaliser for numerical safety.
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
        epsilon: float = 1e-6,
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
        if not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")
        self.causal = causal
        self.epsilon = epsilon
        self._create_projections()
        self.output_dropout = keras.layers.Dropout(
            dropout_rate, name="output_dropout", dtype=self.dtype_policy
        )

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build the projections and the dropout."""
        check_input_rank(input_shape, self.__class__.__name__)
        batch, seq_len = input_shape[0], input_shape[1]
        inner_shape = (batch, seq_len, self.num_heads * self.head_dim)
        self._build_projections(input_shape)
        self.output_dropout.build(inner_shape)
        super().build(input_shape)

    def call(self, inputs: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Linear-time attention over ``inputs``.

        :param inputs: ``(batch, seq_len, features)``.
        :param mask: optional ``(batch, seq_len)`` padding mask; non-zero means attend.
        :param training: enables the output dropout.
        :return: ``(batch, seq_len, dim)``.
        """
        query = elu_feature_map(split_heads(self.query_proj(inputs), self.num_heads, self.head_dim))
        key = elu_feature_map(split_heads(self.key_proj(inputs), self.num_heads, self.head_dim))
        value = split_heads(self.value_proj(inputs), self.num_heads, self.head_dim)
        if mask is not None:
            if len(mask.shape) != 2:
                raise ValueError(
                    "LinearAttention only supports (batch, seq_len) padding masks; got a mask "
                    f"of shape {tuple(mask.shape)}"
                )
            keep = ops.cast(ops.not_equal(ops.cast(mask, "float32"), 0.0), key.dtype)
            keep = keep[:, None, :, None]
            key = key * keep
            value = value * ops.cast(keep, value.dtype)
        if self.causal:
            # Prefix sums of k_j v_j^T and of k_j: query i only sees j <= i.
            kv = ops.cumsum(ops.einsum("bhnd,bhne->bhnde", key, value), axis=2)
            numerator = ops.einsum("bhnd,bhnde->bhne", query, kv)
            denominator = ops.sum(query * ops.cumsum(key, axis=2), axis=-1, keepdims=True)
        else:
            kv = ops.einsum("bhnd,bhne->bhde", key, value)
            numerator = ops.einsum("bhnd,bhde->bhne", query, kv)
            key_sum = ops.sum(key, axis=2, keepdims=True)
            denominator = ops.sum(query * key_sum, axis=-1, keepdims=True)
        context = numerator / (denominator + self.epsilon)
        context = self.output_dropout(merge_heads(context), training=training)
        return self.output_proj(context)

    def compute_mask(self, inputs: Any, mask: Optional[Any] = None) -> Optional[Any]:
        """Propagate a ``(batch, seq_len)`` padding mask."""
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
                "epsilon": self.epsilon,
            }
        )
        return config
