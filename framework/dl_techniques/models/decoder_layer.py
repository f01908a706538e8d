"""Transformer decoder block: causal self-attention, cross-attention and a feed-forward block."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras

from dl_techniques.layers.attention import create_attention_layer
from dl_techniques.layers.ffn import create_ffn_layer, get_ffn_info
from dl_techniques.layers.norms import create_normalization_layer
from dl_techniques.models._checks import (
    NORMALIZATION_POSITIONS,
    check_choice,
    check_heads,
    check_positive_int,
    check_rate,
)


@keras.saving.register_keras_serializable(package="dl_techniques")
class TransformerDecoderLayer(keras.layers.Layer):
    """One decoder block of the original encoder-decoder Transformer.

    The three branches come from the framework factories: causal self-attention is the
    attention factory's ``multi_head`` type with ``causal=True``, cross-attention over the
    encoder output is ``multi_head_cross``, the feed-forward block comes from the FFN
    factory and every norm from the norms factory.

    Pre-norm (default)::

        x = x + dropout(self_attention(norm1(x)))
        x = x + dropout(cross_attention(norm2(x), context))
        x = x + dropout(ffn(norm3(x)))

    Post-norm applies each norm after its residual sum instead.

    Call: ``layer(inputs, context, target_mask=None, context_mask=None, training=None)``
    with ``inputs`` ``(batch, tgt_len, dim)`` and ``context`` ``(batch, src_len,
    context_features)``; ``target_mask`` is a ``(batch, tgt_len)`` padding mask of the
    targets (combined with the causal mask) and ``context_mask`` a ``(batch, src_len)``
    padding mask of the encoder positions (non-zero / ``True`` means attend). Returns
    ``(batch, tgt_len, dim)``.

    :param dim: model width (input and output features).
    :param num_heads: attention heads of both attention layers; must divide ``dim``.
    :param intermediate_size: hidden width of the feed-forward block.
    :param ffn_type: FFN factory type (``"mlp"``, ``"swiglu"``, ``"geglu"``, ...).
    :param normalization_type: norms factory type.
    :param normalization_position: ``"pre"`` or ``"post"``.
    :param dropout_rate: dropout on each branch output.
    :param attention_dropout_rate: dropout on the attention weights.
    :param activation: FFN activation, for FFN types that take one.
    :param use_bias: biases in the attention and FFN projections.
    :param kwargs: base ``keras.layers.Layer`` arguments.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        intermediate_size: int,
        ffn_type: str = "mlp",
        normalization_type: str = "layer_norm",
        normalization_position: str = "pre",
        dropout_rate: float = 0.0,
        attention_dropout_rate: float = 0.0,
        activation: str = "gelu",
        use_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        """Validate the arguments and create the sub-layers through the factories."""
        super().__init__(**kwargs)
        check_heads(dim, num_heads)
        check_positive_int("intermediate_size", intermediate_size)
        check_choice("normalization_position", normalization_position, NORMALIZATION_POSITIONS)
        check_rate("dropout_rate", dropout_rate)
        check_rate("attention_dropout_rate", attention_dropout_rate)
        self.dim = dim
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.ffn_type = ffn_type
        self.normalization_type = normalization_type
        self.normalization_position = normalization_position
        self.dropout_rate = dropout_rate
        self.attention_dropout_rate = attention_dropout_rate
        self.activation = activation
        self.use_bias = use_bias

        self.self_attention = create_attention_layer(
            "multi_head",
            name="self_attention",
            dim=dim,
            num_heads=num_heads,
            dropout_rate=attention_dropout_rate,
            use_bias=use_bias,
            causal=True,
        )
        self.cross_attention = create_attention_layer(
            "multi_head_cross",
            name="cross_attention",
            dim=dim,
            num_heads=num_heads,
            dropout_rate=attention_dropout_rate,
            use_bias=use_bias,
        )
        self.ffn = create_ffn_layer(ffn_type, name="ffn", **self._ffn_kwargs())
        self.self_attention_norm = create_normalization_layer(normalization_type, name="self_attention_norm")
        self.cross_attention_norm = create_normalization_layer(normalization_type, name="cross_attention_norm")
        self.ffn_norm = create_normalization_layer(normalization_type, name="ffn_norm")
        self.self_attention_dropout = keras.layers.Dropout(dropout_rate, name="self_attention_dropout")
        self.cross_attention_dropout = keras.layers.Dropout(dropout_rate, name="cross_attention_dropout")
        self.ffn_dropout = keras.layers.Dropout(dropout_rate, name="ffn_dropout")

    def _ffn_kwargs(self) -> Dict[str, Any]:
        """The block-level FFN arguments that ``ffn_type`` accepts."""
        info = get_ffn_info()
        if self.ffn_type not in info:
            raise ValueError(f"Unknown ffn_type {self.ffn_type!r}; valid choices: {', '.join(info)}")
        accepted = set(info[self.ffn_type]["required"]) | set(info[self.ffn_type]["optional"])
        candidates = {
            "hidden_dim": self.intermediate_size,
            "output_dim": self.dim,
            "activation": self.activation,
            "use_bias": self.use_bias,
        }
        return {key: value for key, value in candidates.items() if key in accepted}

    def build(
        self,
        inputs_shape: Tuple[Optional[int], ...],
        context_shape: Optional[Tuple[Optional[int], ...]] = None,
    ) -> None:
        """Build every sub-layer; ``context_shape`` defaults to ``inputs_shape``.

        :param inputs_shape: ``(batch, tgt_len, dim)``.
        :param context_shape: ``(batch, src_len, context_features)``.
        """
        inputs_shape = tuple(inputs_shape)
        if len(inputs_shape) != 3 or inputs_shape[-1] != self.dim:
            raise ValueError(
                f"TransformerDecoderLayer expects inputs (batch, tgt_len, {self.dim}), got {inputs_shape}"
            )
        context_shape = inputs_shape if context_shape is None else tuple(context_shape)
        self.self_attention_norm.build(inputs_shape)
        self.self_attention.build(inputs_shape)
        self.self_attention_dropout.build(inputs_shape)
        self.cross_attention_norm.build(inputs_shape)
        self.cross_attention.build(inputs_shape, context_shape)
        self.cross_attention_dropout.build(inputs_shape)
        self.ffn_norm.build(inputs_shape)
        self.ffn.build(inputs_shape)
        self.ffn_dropout.build(inputs_shape)
        super().build(inputs_shape)

    def call(
        self,
        inputs: Any,
        context: Any,
        target_mask: Optional[Any] = None,
        context_mask: Optional[Any] = None,
        training: Optional[bool] = None,
    ) -> Any:
        """Run the block.

        :param inputs: decoder states ``(batch, tgt_len, dim)``.
        :param context: encoder output ``(batch, src_len, context_features)``.
        :param target_mask: optional ``(batch, tgt_len)`` padding mask of the targets.
        :param context_mask: optional ``(batch, src_len)`` padding mask of the encoder output.
        :param training: enables dropout.
        :return: ``(batch, tgt_len, dim)``.
        """
        pre = self.normalization_position == "pre"
        x = inputs

        h = self.self_attention_norm(x) if pre else x
        h = self.self_attention(h, mask=target_mask, training=training)
        x = x + self.self_attention_dropout(h, training=training)
        if not pre:
            x = self.self_attention_norm(x)

        h = self.cross_attention_norm(x) if pre else x
        h = self.cross_attention(h, context=context, mask=context_mask, training=training)
        x = x + self.cross_attention_dropout(h, training=training)
        if not pre:
            x = self.cross_attention_norm(x)

        h = self.ffn_norm(x) if pre else x
        h = self.ffn(h, training=training)
        x = x + self.ffn_dropout(h, training=training)
        if not pre:
            x = self.ffn_norm(x)
        return x

    def compute_output_shape(
        self,
        inputs_shape: Tuple[Optional[int], ...],
        context_shape: Optional[Tuple[Optional[int], ...]] = None,
    ) -> Tuple[Optional[int], ...]:
        """The output has the shape of ``inputs``."""
        return tuple(inputs_shape)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "num_heads": self.num_heads,
                "intermediate_size": self.intermediate_size,
                "ffn_type": self.ffn_type,
                "normalization_type": self.normalization_type,
                "normalization_position": self.normalization_position,
                "dropout_rate": self.dropout_rate,
                "attention_dropout_rate": self.attention_dropout_rate,
                "activation": self.activation,
                "use_bias": self.use_bias,
            }
        )
        return config
