"""``ProbabilityOutput``: one configurable entry point for every probability normalisation.

Attention scores, gates and classification heads pick their normaliser by name
(``probability_type``) and configure it through ``type_config``; the wrapper creates the
matching layer, validates the configuration against :data:`PROBABILITY_TYPES` and delegates.
"""

from __future__ import annotations

from typing import Any, Literal

import keras

from dl_techniques.layers.activations.adaptive_softmax import AdaptiveTemperatureSoftmax
from dl_techniques.layers.activations.hierarchical_routing import (
    HierarchicalRoutingLayer,
)
from dl_techniques.layers.activations.routing_probabilities import (
    RoutingProbabilitiesLayer,
)
from dl_techniques.layers.activations.softmax import SoftmaxLayer
from dl_techniques.layers.activations.sparsemax import Sparsemax
from dl_techniques.layers.activations.thresh_max import ThreshMax

ProbabilityType = Literal[
    "softmax", "sparsemax", "threshmax", "adaptive", "routing", "hierarchical"
]

#: Registry of probability types: class, required / optional ``type_config`` keys (with
#: defaults) and a one-line description. Kept as a literal so tools can read it statically.
PROBABILITY_TYPES = {
    "softmax": {
        "class": SoftmaxLayer,
        "required": [],
        "optional": {"axis": -1},
        "description": "Standard exponential normalisation.",
    },
    "sparsemax": {
        "class": Sparsemax,
        "required": [],
        "optional": {"axis": -1},
        "description": "Euclidean projection onto the simplex; produces exact zeros.",
    },
    "threshmax": {
        "class": ThreshMax,
        "required": [],
        "optional": {"axis": -1, "slope": 10.0, "epsilon": 1e-12, "trainable_slope": False},
        "description": "Softmax with smooth suppression of below-uniform probabilities.",
    },
    "adaptive": {
        "class": AdaptiveTemperatureSoftmax,
        "required": [],
        "optional": {
            "axis": -1,
            "min_temp": 0.1,
            "max_temp": 1.0,
            "entropy_threshold": 0.5,
            "eps": 1e-7,
        },
        "description": "Softmax with an entropy-dependent temperature that sharpens flat inputs.",
    },
    "routing": {
        "class": RoutingProbabilitiesLayer,
        "required": [],
        "optional": {"num_classes": None, "epsilon": 1e-7, "axis": -1},
        "description": "Parameter-free binary-tree routing through a fixed projection.",
    },
    "hierarchical": {
        "class": HierarchicalRoutingLayer,
        "required": ["output_dim"],
        "optional": {
            "epsilon": 1e-7,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Trainable binary-tree routing (hierarchical softmax style).",
    },
}


def _valid_keys(probability_type: str) -> list[str]:
    """All ``type_config`` keys accepted by ``probability_type``."""
    spec = PROBABILITY_TYPES[probability_type]
    return list(spec["required"]) + list(spec["optional"])


def validate_probability_config(
    probability_type: str, type_config: dict[str, Any] | None = None
) -> None:
    """Check a probability type and its configuration.

    :param probability_type: one of the keys of :data:`PROBABILITY_TYPES`.
    :param type_config: keyword arguments for the underlying layer.
    :raises ValueError: unknown type, unknown key or missing required key.
    """
    if probability_type not in PROBABILITY_TYPES:
        raise ValueError(
            f"Unknown probability_type {probability_type!r}; valid types: "
            f"{sorted(PROBABILITY_TYPES)}"
        )
    config = dict(type_config or {})
    valid = _valid_keys(probability_type)
    unknown = sorted(k for k in config if k not in valid)
    if unknown:
        raise ValueError(
            f"Unknown type_config key(s) {unknown} for probability_type {probability_type!r}; "
            f"valid keys: {valid}"
        )
    missing = [k for k in PROBABILITY_TYPES[probability_type]["required"] if k not in config]
    if missing:
        raise ValueError(
            f"probability_type {probability_type!r} requires type_config key(s) {missing}; "
            f"valid keys: {valid}"
        )


@keras.saving.register_keras_serializable(package="dl_techniques")
class ProbabilityOutput(keras.layers.Layer):
    """Wrapper that turns scores into probabilities with a selectable method.

    :param probability_type: ``"softmax"``, ``"sparsemax"``, ``"threshmax"``, ``"adaptive"``,
        ``"routing"`` or ``"hierarchical"`` (see :data:`PROBABILITY_TYPES`).
    :param type_config: keyword arguments of the chosen layer, e.g. ``{"axis": -1}``.
    :raises ValueError: unknown type, unknown ``type_config`` key or missing required key.
    """

    def __init__(
        self,
        probability_type: str = "softmax",
        type_config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Validate the configuration and create the underlying layer."""
        super().__init__(**kwargs)
        validate_probability_config(probability_type, type_config)
        self.probability_type = probability_type
        self.type_config = dict(type_config or {})
        layer_class = PROBABILITY_TYPES[probability_type]["class"]
        # The inner layer computes with the wrapper's dtype policy: a ProbabilityOutput made
        # float32 (a numerically safe softmax under mixed precision) must stay float32 inside.
        self.probability_layer = layer_class(
            name=f"{probability_type}_probability", dtype=self.dtype_policy, **self.type_config
        )

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Build the underlying layer."""
        self.probability_layer.build(input_shape)
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Return the probabilities computed by the underlying layer."""
        return self.probability_layer(inputs)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Output shape of the underlying layer."""
        return self.probability_layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({
            "probability_type": self.probability_type,
            "type_config": dict(self.type_config),
        })
        return config
