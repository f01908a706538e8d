"""Standard transformer MLP: expand, non-linearity, dropout, contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from dl_techniques.layers.ffn._base import ActivatedFFNBase


@keras.saving.register_keras_serializable(package="dl_techniques")
class MLPBlock(ActivatedFFNBase):
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
            hidden_dim, output_dim, activation, dropout_rate, use_bias,
            kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs
        )
        self.hidden_proj = self.make_dense(hidden_dim, name="hidden_proj")
        self.create_head()

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build both projections and the dropout."""
        self.hidden_proj.build(input_shape)
        hidden_shape = self.hidden_proj.compute_output_shape(input_shape)
        self.build_head(hidden_shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Apply the MLP to the last axis of ``inputs``."""
        hidden = self.activation(self.hidden_proj(inputs))
        hidden = self.dropout(hidden, training=training)
        return self.output_proj(hidden)

