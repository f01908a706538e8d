"""Local attention inside non-overlapping windows of a sequence (``window`` in the factory)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras
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


@keras.saving.register_keras_serializable(package="dl_techniques")
class WindowAttention(BaseAttention):
    """Multi-head self-attention restricted to non-overlapping windows of ``window_size`` tokens.

    The sequence ``(batch, seq_len, features)`` is cut into ``ceil(seq_len / window_size)``
    consecutive windows; the last one is zero-padded to full length and the padded tokens
    are masked out as keys and dropped from the output. Each token attends only to the
    tokens of its own window, so the cost is ``O(seq_len * window_size)``. With
    ``window_size >= seq_len`` the layer is ordinary global attention. For images, flatten
    (or partition) the spatial grid into a sequence first; the layer expects 3D inputs.

    Masks (non-zero means attend) may be ``(batch, seq_len)`` padding masks or full
    ``(batch, seq_len, seq_len)`` / ``(batch, num_heads, seq_len, seq_len)`` masks, of which
    only the blocks inside each window matter. ``causal=True`` hides later tokens of the
    same window. Rotary embeddings (``use_rope``) use positions inside the window, which
    gives the same relative offsets as global positions.

    Output ``(batch, seq_len, dim)``.

    :param dim: model (output) dimension.
    :param num_heads: number of attention heads.
    :param window_size: number of tokens per window.
    :param head_dim: size of each head; ``dim // num_heads`` when ``None``.
    :param dropout_rate: dropout on the attention weights.
    :param use_bias: whether the projections have a bias.
    :param causal: hide later tokens of the same window.
    :param use_rope: rotate queries and keys with rotary position embeddings.
    :param max_seq_len: longest window the rotary table covers (``use_rope`` only).
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
        window_size: int,
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
        if not isinstance(window_size, int) or window_size <= 0:
            raise ValueError(f"window_size must be a positive int, got {window_size!r}")
        if use_rope and max_seq_len < window_size:
            raise ValueError(
                f"max_seq_len ({max_seq_len}) must be >= window_size ({window_size}) with use_rope"
            )
        self.window_size = window_size
        self.causal = causal
        self._create_projections()
        self._create_score_layers(probability_type, probability_config)
        self._create_rope(use_rope, max_seq_len, rope_theta)

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build the projections, the score activation and the optional RoPE layer."""
        check_input_rank(input_shape, self.__class__.__name__)
        self._build_projections(input_shape)
        self._build_score_layers((None, self.num_heads, self.window_size, self.window_size))
        if self.rope is not None:
            self.rope.build((None, self.num_heads, self.window_size, self.head_dim))
        super().build(input_shape)

    def _to_windows(self, x: Any, padded_len: Any) -> Any:
        """``(batch, seq, inner)`` -> ``(batch * num_windows, num_heads, window, head_dim)``."""
        pad = padded_len - ops.shape(x)[1]
        x = ops.pad(x, [[0, 0], [0, pad], [0, 0]])
        x = ops.reshape(x, (-1, self.window_size, self.num_heads * self.head_dim))
        return split_heads(x, self.num_heads, self.head_dim)

    def _window_mask(
        self, mask: Optional[Any], batch: Any, seq_len: Any, padded_len: Any
    ) -> Any:
        """Boolean ``(batch * num_windows, heads or 1, window, window)`` key mask."""
        window = self.window_size
        num_windows = padded_len // window
        pad = padded_len - seq_len
        # Keys that are real tokens (not padding added to fill the last window).
        valid = ops.less(ops.arange(padded_len, dtype="int32"), ops.cast(seq_len, "int32"))
        valid = ops.reshape(valid, (1, num_windows, 1, 1, window))
        if mask is None:
            valid = ops.broadcast_to(valid, (batch, num_windows, 1, 1, window))
            return ops.reshape(valid, (-1, 1, 1, window))
        mask = ops.convert_to_tensor(mask)
        if keras.backend.standardize_dtype(mask.dtype) != "bool":
            mask = ops.not_equal(mask, ops.zeros((), dtype=mask.dtype))
        rank = len(mask.shape)
        if rank == 2:
            keys = ops.pad(ops.cast(mask, "int8"), [[0, 0], [0, pad]])
            keys = ops.not_equal(ops.reshape(keys, (-1, num_windows, 1, 1, window)), 0)
            blocks = ops.logical_and(keys, valid)
            return ops.reshape(blocks, (-1, 1, 1, window))
        if rank == 3:
            mask = mask[:, None, :, :]
        elif rank != 4:
            raise ValueError(
                "WindowAttention mask must have shape (batch, seq_len), (batch, seq_len, "
                f"seq_len) or (batch, num_heads, seq_len, seq_len); got rank {rank}"
            )
        heads = mask.shape[1]
        # int8 instead of bool: not every backend pads / takes diagonals of bool tensors.
        full = ops.pad(ops.cast(mask, "int8"), [[0, 0], [0, 0], [0, pad], [0, pad]])
        full = ops.reshape(full, (-1, heads, num_windows, window, num_windows, window))
        # Keep only the diagonal blocks: (batch, heads, window, window, num_windows).
        blocks = ops.diagonal(full, axis1=2, axis2=4)
        blocks = ops.not_equal(ops.transpose(blocks, (0, 4, 1, 2, 3)), 0)
        blocks = ops.logical_and(blocks, valid)
        return ops.reshape(blocks, (-1, heads, window, window))

    def call(self, inputs: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Attend inside each window.

        :param inputs: ``(batch, seq_len, features)``.
        :param mask: optional mask (see the class docstring); non-zero means attend.
        :param training: enables the attention dropout.
        :return: ``(batch, seq_len, dim)``.
        """
        window = self.window_size
        batch = ops.shape(inputs)[0]
        seq_len = ops.shape(inputs)[1]
        padded_len = ((seq_len + window - 1) // window) * window
        query = self._to_windows(self.query_proj(inputs), padded_len)
        key = self._to_windows(self.key_proj(inputs), padded_len)
        value = self._to_windows(self.value_proj(inputs), padded_len)
        if self.rope is not None:
            query = self.rope(query)
            key = self.rope(key)
        key_mask = self._window_mask(mask, batch, seq_len, padded_len)
        attention_mask = build_attention_mask(key_mask, window, window, causal=self.causal)
        context = dot_product_attention(
            query,
            key,
            value,
            self.score_activation,
            mask=attention_mask,
            dropout=self.attention_dropout,
            training=training,
        )
        context = merge_heads(context)  # (batch * num_windows, window, inner)
        context = ops.reshape(context, (batch, -1, self.num_heads * self.head_dim))
        context = context[:, :seq_len, :]
        return self.output_proj(context)

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
                "window_size": self.window_size,
                "causal": self.causal,
                "use_rope": self.use_rope,
                "max_seq_len": self.max_seq_len,
                "rope_theta": self.rope_theta,
                "probability_type": self.probability_type,
                "probability_config": self.probability_config,
            }
        )
        return config
