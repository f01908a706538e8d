"""Residual feed-forward block: an MLP branch added to a (projected) shortcut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from dl_techniques.layers.ffn._base import ActivatedFFNBase


@keras.saving.register_keras_serializable(package="dl_techniques")
class ResidualBlock(ActivatedFFNBase):
    """``output_proj(dropout(activation(hidden_proj(x)))) + shortcut(x)``.

    The shortcut is the identity when the input width equals ``output_dim`` and a linear
    projection (``shortcut_proj``, same bias / initializer / regularizer settings) otherwise.
    ``shortcut_proj`` is always created but only built and used when needed.

    :param hidden_dim: width of the hidden layer of the branch.
    :param output_dim: width of the output.
    :param activation: hidden non-linearity of the branch.
    :param dropout_rate: dropout on the hidden activations, in ``[0, 1)``.
    :param use_bias: whether the projections have biases.
    :param kernel_initializer: kernel initializer of all projections.
    :param bias_initializer: bias initializer of all projections.
    :param kernel_regularizer: kernel regularizer of all projections.
    :param bias_regularizer: bias regularizer of all projections.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, training=None)``, ``(..., input_dim)`` -> ``(..., output_dim)``.
    """

    def __init__(
        self,
        hidden_dim: int,
        output_dim: int,
        activation: str | Callable[..., Any] = "relu",
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
        self.shortcut_proj = self.make_dense(output_dim, name="shortcut_proj")
        self.use_projection = False

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build the branch, and the shortcut projection when the widths differ."""
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("ResidualBlock needs a known last input dimension.")
        self.hidden_proj.build(input_shape)
        hidden_shape = self.hidden_proj.compute_output_shape(input_shape)
        self.build_head(hidden_shape)
        self.use_projection = int(input_dim) != self.output_dim
        if self.use_projection:
            self.shortcut_proj.build(input_shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Branch output plus shortcut."""
        hidden = self.activation(self.hidden_proj(inputs))
        branch = self.output_proj(self.dropout(hidden, training=training))
        shortcut = self.shortcut_proj(inputs) if self.use_projection else inputs
        return branch + shortcut

