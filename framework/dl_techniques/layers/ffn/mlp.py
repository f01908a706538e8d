"""Standard transformer MLP: expand, non-linearity, dropout, contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from dl_techniques.layers.ffn._base import FFNBase, check_positive_int


@keras.saving.register_keras_serializable(package="dl_techniques")
class MLPBlock(FFNBase):
    """``output_proj(dropout(activation(hidden_proj(x))))``.

    :param hidden_dim: width of the hidden (expanded) layer.
    :param output_dim: width of the output.
    :param activation: hidden non-linearity (name or callable).
    :param dropout_rate: dropout on the hidden activations, in ``[0, 1)``.
    :param use_bias: whether both projections have biases.
    :param kernel_initializer: kernel initializer of both projections.
    :param bias_initializer: bias initializer of both projections.
    :param kernel_regularizer: kernel regularizer of both projections.
    :param bias_regularizer: bias regularizer of both projections.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, training=None)``, ``inputs`` ``(..., input_dim)`` ->
    ``(..., output_dim)``.
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
            dropout_rate=dropout_rate,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            **kwargs,
        )
        check_positive_int("hidden_dim", hidden_dim)
        check_positive_int("output_dim", output_dim)
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.activation = keras.activations.get(activation)
        self.hidden_proj = self.make_dense(hidden_dim, name="hidden_proj")
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout")
        self.output_proj = self.make_dense(output_dim, name="output_proj")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build both projections and the dropout."""
        self.hidden_proj.build(input_shape)
        hidden_shape = self.hidden_proj.compute_output_shape(input_shape)
        self.dropout.build(hidden_shape)
        self.output_proj.build(hidden_shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Apply the MLP to the last axis of ``inputs``."""
        hidden = self.activation(self.hidden_proj(inputs))
        hidden = self.dropout(hidden, training=training)
        return self.output_proj(hidden)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``input_shape[:-1] + (output_dim,)``."""
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "output_dim": self.output_dim,
                "activation": keras.activations.serialize(self.activation),
            }
        )
        return config
