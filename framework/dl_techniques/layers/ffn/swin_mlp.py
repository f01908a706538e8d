"""The MLP of a Swin Transformer block (Liu et al. 2021).

``dropout(fc2(dropout(activation(fc1(x)))))``, where the output width defaults to the input
width. Because that width is only known at build time, both projections are the layer's
own weights (created in ``build``) rather than ``Dense`` sub-layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from dl_techniques.layers.ffn._base import ActivatedFFNBase


@keras.saving.register_keras_serializable(package="dl_techniques")
class SwinMLP(ActivatedFFNBase):
    """Two-layer MLP whose output width defaults to the input width.

    :param hidden_dim: width of the hidden layer.
    :param output_dim: width of the output; ``None`` keeps the input width.
    :param activation: hidden non-linearity.
    :param dropout_rate: dropout after the activation and after the output projection,
        in ``[0, 1)``.
    :param use_bias: whether the projections have biases.
    :param kernel_initializer: initializer of both kernels.
    :param bias_initializer: initializer of both biases.
    :param kernel_regularizer: regularizer of both kernels.
    :param bias_regularizer: regularizer of both biases.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, training=None)``, ``(..., input_dim)`` ->
    ``(..., output_dim or input_dim)``.
    """

    optional_dims = ("output_dim",)

    def __init__(
        self,
        hidden_dim: int,
        output_dim: int | None = None,
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
        self.create_head(with_output_proj=False)
        self.hidden_kernel = None
        self.hidden_bias = None
        self.output_kernel = None
        self.output_bias = None

    def _projection_weights(self, prefix: str, fan_in: int, fan_out: int) -> tuple[Any, Any | None]:
        """Create one projection's kernel (and bias when ``use_bias``)."""
        kernel = self.add_weight(
            name=f"{prefix}_kernel",
            shape=(fan_in, fan_out),
            initializer=keras.initializers.get(keras.initializers.serialize(self.kernel_initializer)),
            regularizer=self.kernel_regularizer,
            trainable=True,
        )
        bias = None
        if self.use_bias:
            bias = self.add_weight(
                name=f"{prefix}_bias",
                shape=(fan_out,),
                initializer=keras.initializers.get(keras.initializers.serialize(self.bias_initializer)),
                regularizer=self.bias_regularizer,
                trainable=True,
            )
        return kernel, bias

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create both projections' weights and build the dropout."""
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("SwinMLP needs a known last input dimension.")
        out_dim = self.output_dim if self.output_dim is not None else int(input_dim)
        self.hidden_kernel, self.hidden_bias = self._projection_weights("hidden", int(input_dim), self.hidden_dim)
        self.output_kernel, self.output_bias = self._projection_weights("output", self.hidden_dim, out_dim)
        self.dropout.build(tuple(input_shape[:-1]) + (self.hidden_dim,))
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Apply the two projections to the last axis of ``inputs``."""
        hidden = ops.matmul(inputs, self.hidden_kernel)
        if self.hidden_bias is not None:
            hidden = hidden + self.hidden_bias
        hidden = self.dropout(self.activation(hidden), training=training)
        outputs = ops.matmul(hidden, self.output_kernel)
        if self.output_bias is not None:
            outputs = outputs + self.output_bias
        return self.dropout(outputs, training=training)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``input_shape[:-1] + (output_dim or input_dim,)``."""
        out_dim = self.output_dim if self.output_dim is not None else input_shape[-1]
        return tuple(input_shape[:-1]) + (out_dim,)
