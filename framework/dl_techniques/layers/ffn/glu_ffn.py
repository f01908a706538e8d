"""Gated linear unit feed-forward block (Dauphin et al. 2017; Shazeer 2020).

``output_proj(dropout(activation(gate_proj(x)) * value_proj(x)))``: one projection, passed
through ``activation``, gates the other element-wise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from dl_techniques.layers.ffn._base import ActivatedFFNBase


@keras.saving.register_keras_serializable(package="dl_techniques")
class GLUFFN(ActivatedFFNBase):
    """Gated linear unit FFN; the gate non-linearity is ``activation`` (sigmoid = classic GLU).

    :param hidden_dim: width of the gate and value projections.
    :param output_dim: width of the output.
    :param activation: gate non-linearity (``"sigmoid"`` GLU, ``"gelu"`` GeGLU,
        ``"silu"`` SwiGLU, ``"relu"`` ReGLU, ``"linear"`` bilinear).
    :param dropout_rate: dropout on the gated hidden activations, in ``[0, 1)``.
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
        activation: str | Callable[..., Any] = "sigmoid",
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
        self.gate_proj = self.make_dense(hidden_dim, name="gate_proj")
        self.value_proj = self.make_dense(hidden_dim, name="value_proj")
        self.create_head()

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build the gate, value and output projections."""
        self.gate_proj.build(input_shape)
        self.value_proj.build(input_shape)
        hidden_shape = self.gate_proj.compute_output_shape(input_shape)
        self.build_head(hidden_shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Gate, mix and project the last axis of ``inputs``."""
        hidden = self.activation(self.gate_proj(inputs)) * self.value_proj(inputs)
        hidden = self.dropout(hidden, training=training)
        return self.output_proj(hidden)

