"""Parameter-free probability distribution from a binary tree of sigmoid decisions."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

#: Seed of the fixed projection of :class:`RoutingProbabilitiesLayer`; changing it changes
#: the outputs of every saved routing layer that is rebuilt from its config.
ROUTING_PROJECTION_SEED = 20160207


def tree_depth(num_leaves: int) -> int:
    """Number of binary decisions needed to address ``num_leaves`` leaves (at least 1)."""
    return max(1, math.ceil(math.log2(num_leaves)))


def binary_tree_probabilities(decisions: Any, num_leaves: int, epsilon: float) -> Any:
    """Leaf probabilities of a complete binary tree, truncated and renormalised.

    ``decisions[..., d]`` is the probability of taking the right branch at depth ``d``
    (shared by all nodes of that depth). Leaf ``j``, whose bit ``d`` (``(j >> d) & 1``) is
    the branch taken at depth ``d``, gets ``prod_d (decisions[d] if bit_d else
    1 - decisions[d])``. The
    ``2 ** depth`` leaf probabilities are cut to the first ``num_leaves`` and divided by
    ``sum + epsilon``.

    :param decisions: tensor ``(..., depth)`` with values in ``[0, 1]``.
    :param num_leaves: number of output classes.
    :param epsilon: stabiliser of the renormalisation.
    :return: tensor ``(..., num_leaves)``, non-negative, each slice summing to one.
    """
    depth = decisions.shape[-1]
    probs = ops.ones_like(decisions[..., :1])
    for level in range(depth):
        right = decisions[..., level:level + 1]
        probs = ops.concatenate([probs * (1.0 - right), probs * right], axis=-1)
    probs = probs[..., :num_leaves]
    return probs / (ops.sum(probs, axis=-1, keepdims=True) + epsilon)


@keras.saving.register_keras_serializable(package="dl_techniques")
class RoutingProbabilitiesLayer(keras.layers.Layer):
    """Routes inputs through a fixed binary tree of sigmoid decisions.

    The features along ``axis`` (size ``D``) are projected by a fixed, non-trainable matrix
    ``W`` of shape ``(D, depth)``, ``depth = max(1, ceil(log2(num_classes)))``, drawn once in
    ``build`` from a seeded normal initializer (std ``1 / sqrt(D)``). The decisions
    ``sigmoid(x @ W)`` define leaf probabilities as products along the tree paths (see
    :func:`binary_tree_probabilities`); the ``2 ** depth`` leaves are truncated to
    ``num_classes`` and renormalised, so every output slice is a distribution.

    :param num_classes: number of output probabilities; ``None`` uses ``D``.
    :param epsilon: stabiliser of the renormalisation (> 0).
    :param axis: feature axis that is replaced by the class axis.
    """

    def __init__(
        self,
        num_classes: int | None = None,
        epsilon: float = 1e-7,
        axis: int = -1,
        **kwargs: Any,
    ) -> None:
        """Validate and store the configuration."""
        super().__init__(**kwargs)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"num_classes must be a positive int or None, got {num_classes!r}")
        if epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        if not isinstance(axis, int):
            raise ValueError(f"axis must be an int, got {axis!r}")
        self.num_classes = num_classes
        self.epsilon = float(epsilon)
        self.axis = axis
        self.routing_kernel = None

    def _resolved_classes(self, input_shape: tuple[Any, ...]) -> int:
        """``num_classes`` or, when unset, the size of the feature axis."""
        if self.num_classes is not None:
            return self.num_classes
        return int(input_shape[self.axis])

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Create the fixed projection weight."""
        feature_dim = input_shape[self.axis]
        if feature_dim is None:
            raise ValueError("RoutingProbabilitiesLayer needs a known size along `axis`")
        depth = tree_depth(self._resolved_classes(input_shape))
        self.routing_kernel = self.add_weight(
            name="routing_kernel",
            shape=(int(feature_dim), depth),
            initializer=keras.initializers.RandomNormal(
                mean=0.0, stddev=1.0 / math.sqrt(int(feature_dim)), seed=ROUTING_PROJECTION_SEED
            ),
            trainable=False,
        )
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Return the routing distribution (feature axis replaced by ``num_classes``)."""
        x = ops.moveaxis(inputs, self.axis, -1)
        num_classes = self._resolved_classes(tuple(inputs.shape))
        kernel = ops.cast(self.routing_kernel, x.dtype)
        decisions = ops.sigmoid(ops.matmul(x, kernel))
        probs = binary_tree_probabilities(decisions, num_classes, self.epsilon)
        return ops.moveaxis(probs, -1, self.axis)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Input shape with the feature axis replaced by ``num_classes``."""
        shape = list(input_shape)
        shape[self.axis] = self._resolved_classes(tuple(input_shape))
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({
            "num_classes": self.num_classes,
            "epsilon": self.epsilon,
            "axis": self.axis,
        })
        return config
