"""Trainable hierarchical (binary tree) routing to ``output_dim`` probabilities."""

from __future__ import annotations

from typing import Any

import keras

from dl_techniques.layers.activations.routing_probabilities import (
    binary_tree_probabilities,
    tree_depth,
)


@keras.saving.register_keras_serializable(package="dl_techniques")
class HierarchicalRoutingLayer(keras.layers.Layer):
    """Probability distribution from learned binary decisions, like a hierarchical softmax.

    A ``Dense(depth, activation="sigmoid")`` on the last axis, ``depth =
    max(1, ceil(log2(output_dim)))``, gives one decision per tree level. Leaf probabilities
    are products of the decisions along each path; the ``2 ** depth`` leaves are truncated to
    ``output_dim`` and divided by ``sum + epsilon``. Costs ``O(log output_dim)`` parameters
    per input feature instead of ``O(output_dim)``.

    :param output_dim: number of output probabilities (>= 1), required.
    :param epsilon: stabiliser of the renormalisation (> 0).
    :param use_bias: whether the decision projection has a bias.
    :param kernel_initializer: initializer of the projection kernel.
    :param bias_initializer: initializer of the projection bias.
    :param kernel_regularizer: optional regularizer of the kernel.
    :param bias_regularizer: optional regularizer of the bias.
    """

    def __init__(
        self,
        output_dim: int,
        epsilon: float = 1e-7,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any | None = None,
        bias_regularizer: Any | None = None,
        **kwargs: Any,
    ) -> None:
        """Validate the configuration and create the decision projection."""
        super().__init__(**kwargs)
        if not isinstance(output_dim, int) or isinstance(output_dim, bool) or output_dim < 1:
            raise ValueError(f"output_dim must be a positive int, got {output_dim!r}")
        if epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        self.output_dim = output_dim
        self.epsilon = float(epsilon)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.depth = tree_depth(output_dim)
        self.decision_proj = keras.layers.Dense(
            self.depth,
            activation="sigmoid",
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            name="decision_proj",
        )

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Build the decision projection."""
        if input_shape[-1] is None:
            raise ValueError("HierarchicalRoutingLayer needs a known last dimension")
        self.decision_proj.build(input_shape)
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Return ``(..., output_dim)`` probabilities summing to one."""
        decisions = self.decision_proj(inputs)
        return binary_tree_probabilities(decisions, self.output_dim, self.epsilon)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Input shape with the last axis replaced by ``output_dim``."""
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({
            "output_dim": self.output_dim,
            "epsilon": self.epsilon,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        })
        return config
