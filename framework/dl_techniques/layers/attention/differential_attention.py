"""Differential attention (``differential`` in the attention factory).

Ye et al., "Differential Transformer" (2024). Each head computes two attention maps from
two halves of its query/key and subtracts them, cancelling attention noise that both maps
share:

    A = P(Q1 K1^T / sqrt(d)) - lambda * P(Q2 K2^T / sqrt(d))
    lambda = exp(lq1 . lk1) - exp(lq2 . lk2) + lambda_init

where ``P`` is the score normalisation (a ``ProbabilityOutput``, softmax by default) and
``lq1, lk1, lq2, lk2`` are learnable vectors. Each head output ``A V`` is normalised with
an RMS norm (shared across heads) and scaled by ``1 - lambda_init``.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Tuple

import keras
from keras import ops

from dl_techniques.layers.attention._base import BaseAttention
from dl_techniques.layers.attention.utils import (
    apply_attention_mask,
    build_attention_mask,
    check_input_rank,
    merge_heads,
    padding_mask_for_output,
    split_heads,
)
from dl_techniques.layers.norms import create_normalization_layer


def default_lambda_init(depth: int) -> float:
    """The paper's depth-dependent ``lambda_init = 0.8 - 0.6 * exp(-0.3 * depth)``.

    :param depth: zero-based index of the layer in the stack.
    :return: the initial lambda.
    """
    return 0.8 - 0.6 * math.exp(-0.3 * depth)


@keras.saving.register_keras_serializable(package="dl_techniques")
class DifferentialAttention(BaseAttention):
    """Multi-head differential self-attention.

    Per head, values have ``head_dim`` features and each of the two query/key halves has
    ``head_dim // 2`` features (so ``head_dim`` must be even), which keeps the projection
    sizes of standard multi-head attention: ``query_proj`` and ``key_proj`` produce
    ``num_heads * head_dim`` features that are split into ``2 * num_heads`` half-heads.
    Both maps go through the same ``ProbabilityOutput`` (each is normalised on its own).

    Input ``(batch, seq_len, features)``, output ``(batch, seq_len, dim)``.

    :param dim: model (output) dimension.
    :param num_heads: number of (differential) heads.
    :param head_dim: value size of each head (even); ``dim // num_heads`` when ``None``.
    :param dropout_rate: dropout on the differential attention weights.
    :param use_bias: whether the projections have a bias.
    :param causal: hide future keys from each query.
    :param use_rope: rotate queries and keys with rotary position embeddings.
    :param max_seq_len: longest sequence the rotary table covers (``use_rope`` only).
    :param rope_theta: rotary base frequency (``use_rope`` only).
    :param lambda_init: initial lambda; ``None`` derives it from ``depth``.
    :param depth: layer index used by the paper's ``lambda_init`` schedule.
    :param probability_type: ``ProbabilityOutput`` type used to normalise both maps.
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
        lambda_init: Optional[float] = None,
        depth: int = 0,
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
        if self.head_dim % 2 != 0:
            raise ValueError(
                f"DifferentialAttention needs an even head_dim (got {self.head_dim}): each head "
                "splits its query and key into two halves"
            )
        if not isinstance(depth, int) or depth < 0:
            raise ValueError(f"depth must be a non-negative int, got {depth!r}")
        self.causal = causal
        self.lambda_init = lambda_init
        self.depth = depth
        self.half_dim = self.head_dim // 2
        self.lambda_init_value = float(
            default_lambda_init(depth) if lambda_init is None else lambda_init
        )
        self._create_projections()
        self._create_score_layers(probability_type, probability_config)
        self.sub_norm = create_normalization_layer("rms_norm", name="sub_norm", epsilon=1e-5)
        self._create_rope(use_rope, max_seq_len, rope_theta, rope_dim=self.half_dim)

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build the projections, lambda vectors, norm, score activation and RoPE."""
        check_input_rank(input_shape, self.__class__.__name__)
        batch, seq_len = input_shape[0], input_shape[1]
        self._build_projections(input_shape)
        self._build_score_layers(
            (batch, 2 * self.num_heads, seq_len, seq_len), (batch, self.num_heads, seq_len, seq_len)
        )
        self.sub_norm.build((batch, self.num_heads, seq_len, self.head_dim))
        if self.rope is not None:
            self.rope.build((batch, 2 * self.num_heads, seq_len, self.half_dim))
        lambda_initializer = keras.initializers.RandomNormal(mean=0.0, stddev=0.1)
        self.lambda_q1 = self.add_weight(
            name="lambda_q1", shape=(self.half_dim,), initializer=lambda_initializer
        )
        self.lambda_k1 = self.add_weight(
            name="lambda_k1", shape=(self.half_dim,), initializer=lambda_initializer
        )
        self.lambda_q2 = self.add_weight(
            name="lambda_q2", shape=(self.half_dim,), initializer=lambda_initializer
        )
        self.lambda_k2 = self.add_weight(
            name="lambda_k2", shape=(self.half_dim,), initializer=lambda_initializer
        )
        super().build(input_shape)

    def current_lambda(self) -> Any:
        """The scalar ``exp(lq1 . lk1) - exp(lq2 . lk2) + lambda_init``."""
        first = ops.exp(ops.sum(self.lambda_q1 * self.lambda_k1))
        second = ops.exp(ops.sum(self.lambda_q2 * self.lambda_k2))
        return first - second + self.lambda_init_value

    def call(self, inputs: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Differential attention over ``inputs``.

        :param inputs: ``(batch, seq_len, features)``.
        :param mask: optional mask (see :mod:`dl_techniques.layers.attention.utils`);
            non-zero means attend; per-head masks refer to the ``num_heads`` heads.
        :param training: enables the attention dropout.
        :return: ``(batch, seq_len, dim)``.
        """
        # 2 * num_heads half-heads; half-heads 2h and 2h + 1 belong to head h.
        query = split_heads(self.query_proj(inputs), 2 * self.num_heads, self.half_dim)
        key = split_heads(self.key_proj(inputs), 2 * self.num_heads, self.half_dim)
        value = split_heads(self.value_proj(inputs), self.num_heads, self.head_dim)
        if self.rope is not None:
            query = self.rope(query)
            key = self.rope(key)
        seq_len = ops.shape(inputs)[1]
        scale = ops.cast(float(self.half_dim) ** -0.5, query.dtype)
        scores = ops.matmul(query * scale, ops.swapaxes(key, -1, -2))
        first_scores = scores[:, 0::2]
        second_scores = scores[:, 1::2]
        attention_mask = build_attention_mask(mask, seq_len, seq_len, causal=self.causal)
        first_scores = apply_attention_mask(first_scores, attention_mask)
        second_scores = apply_attention_mask(second_scores, attention_mask)
        both = self.score_activation(ops.concatenate([first_scores, second_scores], axis=1))
        first, second = both[:, : self.num_heads], both[:, self.num_heads :]
        lam = ops.cast(self.current_lambda(), first.dtype)
        weights = self.attention_dropout(first - lam * second, training=training)
        context = ops.matmul(ops.cast(weights, value.dtype), value)
        context = self.sub_norm(context) * (1.0 - self.lambda_init_value)
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
                "lambda_init": self.lambda_init,
                "depth": self.depth,
                "probability_type": self.probability_type,
                "probability_config": self.probability_config,
            }
        )
        return config
