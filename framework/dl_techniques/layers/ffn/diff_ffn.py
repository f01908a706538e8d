"""Differential feed-forward block: the difference of two gated branches.

Borrowing the idea of differential attention (Ye et al. 2024, "Differential Transformer"),
two independent gated branches see the same input and the block outputs the projection of
their *difference*::

    positive = branch_activation(positive_proj(x)) * gate_activation(positive_gate(x))
    negative = branch_activation(negative_proj(x)) * gate_activation(negative_gate(x))
    output   = output_proj(dropout(positive - negative))

Features both branches respond to alike (common-mode signal, noise) cancel; the block
passes on what distinguishes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from dl_techniques.layers.ffn._base import ProjectionFFNBase


@keras.saving.register_keras_serializable(package="dl_techniques")
class DifferentialFFN(ProjectionFFNBase):
    """Two gated branches whose difference is projected to ``output_dim``.

    :param hidden_dim: width of each branch.
    :param output_dim: width of the output.
    :param branch_activation: non-linearity of the branch values.
    :param gate_activation: non-linearity of the branch gates.
    :param dropout_rate: dropout on the branch difference, in ``[0, 1)``.
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
        branch_activation: str | Callable[..., Any] = "gelu",
        gate_activation: str | Callable[..., Any] = "sigmoid",
        dropout_rate: float = 0.0,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any | None = None,
        bias_regularizer: Any | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_dim, output_dim, dropout_rate, use_bias,
            kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs
        )
        self.branch_activation = keras.activations.get(branch_activation)
        self.gate_activation = keras.activations.get(gate_activation)
        self.positive_proj = self.make_dense(hidden_dim, name="positive_proj")
        self.positive_gate = self.make_dense(hidden_dim, name="positive_gate")
        self.negative_proj = self.make_dense(hidden_dim, name="negative_proj")
        self.negative_gate = self.make_dense(hidden_dim, name="negative_gate")
        self.create_head()

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build the four branch projections and the output projection."""
        self.positive_proj.build(input_shape)
        self.positive_gate.build(input_shape)
        self.negative_proj.build(input_shape)
        self.negative_gate.build(input_shape)
        hidden_shape = self.positive_proj.compute_output_shape(input_shape)
        self.build_head(hidden_shape)
        super().build(input_shape)

    def _branch(self, value_layer: keras.layers.Layer, gate_layer: keras.layers.Layer, inputs: Any) -> Any:
        """One gated branch."""
        return self.branch_activation(value_layer(inputs)) * self.gate_activation(gate_layer(inputs))

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Project the difference of the positive and negative branches."""
        positive = self._branch(self.positive_proj, self.positive_gate, inputs)
        negative = self._branch(self.negative_proj, self.negative_gate, inputs)
        hidden = self.dropout(positive - negative, training=training)
        return self.output_proj(hidden)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "branch_activation": keras.activations.serialize(self.branch_activation),
                "gate_activation": keras.activations.serialize(self.gate_activation),
            }
        )
        return config
