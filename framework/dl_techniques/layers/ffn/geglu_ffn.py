"""GeGLU feed-forward block (Shazeer 2020): a gated linear unit with a GELU gate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from dl_techniques.layers.ffn.glu_ffn import GLUFFN


@keras.saving.register_keras_serializable(package="dl_techniques")
class GeGLUFFN(GLUFFN):
    """``output_proj(dropout(gelu(gate_proj(x)) * value_proj(x)))``.

    Same arguments and call as :class:`GLUFFN`; only the default gate ``activation`` differs
    (``"gelu"``).
    """

    def __init__(
        self,
        hidden_dim: int,
        output_dim: int,
        activation: str | Callable[..., Any] = "gelu",
        dropout_rate: float = 0.0,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any | None = None,
        bias_regularizer: Any | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_dim=hidden_dim,
            output_dim=output_dim,
            activation=activation,
            dropout_rate=dropout_rate,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization (all saved by :class:`GLUFFN`)."""
        config = super().get_config()
        return config
