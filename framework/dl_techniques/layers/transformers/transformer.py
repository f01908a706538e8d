"""Configurable transformer block: attention + FFN with residuals and normalization.

Every component comes from a framework factory: attention from
``create_attention_layer``, the feed-forward block from ``create_ffn_layer`` and both
norms from ``create_normalization_layer``; stochastic depth is :class:`StochasticDepth`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras

from dl_techniques.layers.attention.factory import create_attention_layer
from dl_techniques.layers.attention.utils import padding_mask_for_output
from dl_techniques.layers.ffn import create_ffn_layer, get_ffn_info
from dl_techniques.layers.norms import create_normalization_layer
from dl_techniques.layers.transformers.stochastic_depth import StochasticDepth

_NORMALIZATION_POSITIONS = ("pre", "post")


@keras.saving.register_keras_serializable(package="dl_techniques")
class TransformerLayer(keras.layers.Layer):
    """Transformer block with selectable attention, FFN and normalization.

    Pre-norm (default, ``normalization_position="pre"``)::

        x = x + drop_path(dropout(attention(norm1(x))))
        x = x + drop_path(dropout(ffn(norm2(x))))

    Post-norm (original Transformer, ``"post"``)::

        x = norm1(x + drop_path(dropout(attention(x))))
        x = norm2(x + drop_path(dropout(ffn(x))))

    The attention layer gets ``dim=hidden_size``, ``num_heads``,
    ``dropout_rate=attention_dropout_rate`` and ``use_bias``, plus ``window_size`` when
    given, and then everything in ``attention_args`` (which wins on conflicts), e.g.
    ``attention_args={"causal": True}`` or ``{"num_kv_heads": 2}`` for ``group_query``.
    The FFN gets ``hidden_dim=intermediate_size``, ``output_dim=hidden_size``,
    ``activation`` and ``use_bias`` where its type accepts them (``swiglu`` takes no
    ``activation``), then ``ffn_args``.

    Input and output ``(batch, seq_len, hidden_size)``. Call:
    ``layer(inputs, mask=None, training=None)``; ``mask`` goes to the attention layer.

    :param hidden_size: model width (input and output features).
    :param num_heads: number of attention heads.
    :param intermediate_size: hidden width of the FFN.
    :param attention_type: attention factory type (``multi_head``, ``window``, ...).
    :param attention_args: extra keyword arguments for the attention layer.
    :param normalization_type: norms factory type (``layer_norm``, ``rms_norm``, ...).
    :param normalization_position: ``"pre"`` or ``"post"``.
    :param ffn_type: FFN factory type (``mlp``, ``swiglu``, ``geglu``, ...).
    :param ffn_args: extra keyword arguments for the FFN layer.
    :param dropout_rate: dropout on the attention and FFN branch outputs.
    :param attention_dropout_rate: dropout on the attention weights.
    :param use_stochastic_depth: drop whole residual branches per sample in training.
    :param stochastic_depth_rate: drop probability used when ``use_stochastic_depth``.
    :param activation: FFN activation (for types that take one).
    :param use_bias: whether attention and FFN projections have biases.
    :param window_size: window size for ``attention_type="window"`` (shortcut for
        ``attention_args={"window_size": ...}``).
    """

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        intermediate_size: int,
        attention_type: str = "multi_head",
        attention_args: Optional[Dict[str, Any]] = None,
        normalization_type: str = "layer_norm",
        normalization_position: str = "pre",
        ffn_type: str = "mlp",
        ffn_args: Optional[Dict[str, Any]] = None,
        dropout_rate: float = 0.0,
        attention_dropout_rate: float = 0.0,
        use_stochastic_depth: bool = False,
        stochastic_depth_rate: float = 0.1,
        activation: str = "gelu",
        use_bias: bool = True,
        window_size: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        """Validate the configuration and create the sub-layers through the factories."""
        super().__init__(**kwargs)
        for param, value in (
            ("hidden_size", hidden_size),
            ("num_heads", num_heads),
            ("intermediate_size", intermediate_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{param} must be a positive int, got {value!r}")
        if normalization_position not in _NORMALIZATION_POSITIONS:
            raise ValueError(
                f"normalization_position must be one of {_NORMALIZATION_POSITIONS}, "
                f"got {normalization_position!r}"
            )
        for param, value in (
            ("dropout_rate", dropout_rate),
            ("attention_dropout_rate", attention_dropout_rate),
            ("stochastic_depth_rate", stochastic_depth_rate),
        ):
            if not isinstance(value, (int, float)) or not 0.0 <= float(value) < 1.0:
                raise ValueError(f"{param} must be in [0, 1), got {value!r}")
        if attention_args is not None and not isinstance(attention_args, dict):
            raise ValueError(f"attention_args must be a dict or None, got {attention_args!r}")
        if ffn_args is not None and not isinstance(ffn_args, dict):
            raise ValueError(f"ffn_args must be a dict or None, got {ffn_args!r}")

        self.hidden_size = hidden_size
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.attention_type = attention_type
        self.attention_args = attention_args
        self.normalization_type = normalization_type
        self.normalization_position = normalization_position
        self.ffn_type = ffn_type
        self.ffn_args = ffn_args
        self.dropout_rate = dropout_rate
        self.attention_dropout_rate = attention_dropout_rate
        self.use_stochastic_depth = use_stochastic_depth
        self.stochastic_depth_rate = stochastic_depth_rate
        self.activation = activation
        self.use_bias = use_bias
        self.window_size = window_size
        self.supports_masking = True

        attention_kwargs: Dict[str, Any] = {
            "dim": hidden_size,
            "num_heads": num_heads,
            "dropout_rate": attention_dropout_rate,
            "use_bias": use_bias,
        }
        if window_size is not None:
            attention_kwargs["window_size"] = window_size
        attention_kwargs.update(attention_args or {})
        self.attention = create_attention_layer(attention_type, name="attention", **attention_kwargs)

        ffn_kwargs = self._default_ffn_kwargs(ffn_type)
        ffn_kwargs.update(ffn_args or {})
        self.ffn = create_ffn_layer(ffn_type, name="ffn", **ffn_kwargs)

        self.attention_norm = create_normalization_layer(normalization_type, name="attention_norm")
        self.ffn_norm = create_normalization_layer(normalization_type, name="ffn_norm")
        self.attention_output_dropout = keras.layers.Dropout(
            dropout_rate, name="attention_output_dropout"
        )
        self.ffn_output_dropout = keras.layers.Dropout(dropout_rate, name="ffn_output_dropout")
        self.attention_stochastic_depth = None
        self.ffn_stochastic_depth = None
        if use_stochastic_depth:
            self.attention_stochastic_depth = StochasticDepth(
                stochastic_depth_rate, name="attention_stochastic_depth"
            )
            self.ffn_stochastic_depth = StochasticDepth(
                stochastic_depth_rate, name="ffn_stochastic_depth"
            )

    def _default_ffn_kwargs(self, ffn_type: str) -> Dict[str, Any]:
        """The block-level FFN arguments that ``ffn_type`` accepts."""
        info = get_ffn_info()
        if ffn_type not in info:
            raise ValueError(f"Unknown ffn_type {ffn_type!r}. Valid types: {', '.join(info)}")
        accepted = set(info[ffn_type]["required"]) | set(info[ffn_type]["optional"])
        candidates = {
            "hidden_dim": self.intermediate_size,
            "output_dim": self.hidden_size,
            "activation": self.activation,
            "use_bias": self.use_bias,
        }
        return {key: value for key, value in candidates.items() if key in accepted}

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build attention, FFN, norms, dropouts and stochastic depth on ``input_shape``."""
        if input_shape is None or len(input_shape) != 3:
            raise ValueError(
                f"TransformerLayer expects (batch, seq_len, hidden_size) inputs, got {input_shape}"
            )
        if input_shape[-1] is not None and input_shape[-1] != self.hidden_size:
            raise ValueError(
                f"TransformerLayer input features ({input_shape[-1]}) must equal hidden_size "
                f"({self.hidden_size}) for the residual connections"
            )
        self.attention_norm.build(input_shape)
        self.attention.build(input_shape)
        self.attention_output_dropout.build(input_shape)
        self.ffn_norm.build(input_shape)
        self.ffn.build(input_shape)
        self.ffn_output_dropout.build(input_shape)
        if self.attention_stochastic_depth is not None:
            self.attention_stochastic_depth.build(input_shape)
        if self.ffn_stochastic_depth is not None:
            self.ffn_stochastic_depth.build(input_shape)
        super().build(input_shape)

    def _branch_output(
        self,
        x: Any,
        dropout: keras.layers.Layer,
        drop_path: Optional[keras.layers.Layer],
        training: Optional[bool],
    ) -> Any:
        """Dropout and optional stochastic depth on a residual branch output."""
        x = dropout(x, training=training)
        if drop_path is not None:
            x = drop_path(x, training=training)
        return x

    def call(self, inputs: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Run the block.

        :param inputs: ``(batch, seq_len, hidden_size)``.
        :param mask: optional attention mask (see :mod:`dl_techniques.layers.attention.utils`).
        :param training: training flag for dropout and stochastic depth.
        :return: ``(batch, seq_len, hidden_size)``.
        """
        if self.normalization_position == "pre":
            branch = self.attention(self.attention_norm(inputs), mask=mask, training=training)
            x = inputs + self._branch_output(
                branch, self.attention_output_dropout, self.attention_stochastic_depth, training
            )
            branch = self.ffn(self.ffn_norm(x), training=training)
            return x + self._branch_output(
                branch, self.ffn_output_dropout, self.ffn_stochastic_depth, training
            )
        branch = self.attention(inputs, mask=mask, training=training)
        x = self.attention_norm(
            inputs
            + self._branch_output(
                branch, self.attention_output_dropout, self.attention_stochastic_depth, training
            )
        )
        branch = self.ffn(x, training=training)
        return self.ffn_norm(
            x + self._branch_output(branch, self.ffn_output_dropout, self.ffn_stochastic_depth, training)
        )

    def compute_mask(self, inputs: Any, mask: Optional[Any] = None) -> Optional[Any]:
        """Propagate a ``(batch, seq_len)`` padding mask; drop any other mask."""
        return padding_mask_for_output(mask)

    def compute_output_shape(self, input_shape: Tuple[Optional[int], ...]) -> Tuple[Optional[int], ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "hidden_size": self.hidden_size,
                "num_heads": self.num_heads,
                "intermediate_size": self.intermediate_size,
                "attention_type": self.attention_type,
                "attention_args": self.attention_args,
                "normalization_type": self.normalization_type,
                "normalization_position": self.normalization_position,
                "ffn_type": self.ffn_type,
                "ffn_args": self.ffn_args,
                "dropout_rate": self.dropout_rate,
                "attention_dropout_rate": self.attention_dropout_rate,
                "use_stochastic_depth": self.use_stochastic_depth,
                "stochastic_depth_rate": self.stochastic_depth_rate,
                "activation": self.activation,
                "use_bias": self.use_bias,
                "window_size": self.window_size,
            }
        )
        return config
