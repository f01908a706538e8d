"""Probability output layers: softmax and its sparse, thresholded, adaptive and routed variants.

Use :class:`ProbabilityOutput` to select one by name (``"softmax"``, ``"sparsemax"``,
``"threshmax"``, ``"adaptive"``, ``"routing"``, ``"hierarchical"``).
"""

from dl_techniques.layers.activations.adaptive_softmax import AdaptiveTemperatureSoftmax
from dl_techniques.layers.activations.hierarchical_routing import (
    HierarchicalRoutingLayer,
)
from dl_techniques.layers.activations.probability_output import (
    PROBABILITY_TYPES,
    ProbabilityOutput,
    ProbabilityType,
    validate_probability_config,
)
from dl_techniques.layers.activations.routing_probabilities import (
    RoutingProbabilitiesLayer,
)
from dl_techniques.layers.activations.softmax import SoftmaxLayer
from dl_techniques.layers.activations.sparsemax import Sparsemax, sparsemax
from dl_techniques.layers.activations.thresh_max import ThreshMax

__all__ = [
    "PROBABILITY_TYPES",
    "AdaptiveTemperatureSoftmax",
    "HierarchicalRoutingLayer",
    "ProbabilityOutput",
    "ProbabilityType",
    "RoutingProbabilitiesLayer",
    "SoftmaxLayer",
    "Sparsemax",
    "ThreshMax",
    "sparsemax",
    "validate_probability_config",
]
