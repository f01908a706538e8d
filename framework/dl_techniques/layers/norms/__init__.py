"""Normalization layers and the normalization factory.

Outside this package create normalizations through :func:`create_normalization_layer`
(``"layer_norm"``, ``"rms_norm"``, ``"zero_centered_rms_norm"``, ``"batch_norm"``,
``"group_norm"``, ``"dynamic_tanh"``).
"""

from dl_techniques.layers.norms.dynamic_tanh import DynamicTanh
from dl_techniques.layers.norms.factory import (
    NORMALIZATION_REGISTRY,
    NormalizationType,
    create_normalization_from_config,
    create_normalization_layer,
    get_normalization_info,
    list_normalization_types,
    validate_normalization_config,
)
from dl_techniques.layers.norms.rms_norm import RMSNorm
from dl_techniques.layers.norms.zero_centered_rms_norm import ZeroCenteredRMSNorm

__all__ = [
    "NORMALIZATION_REGISTRY",
    "DynamicTanh",
    "NormalizationType",
    "RMSNorm",
    "ZeroCenteredRMSNorm",
    "create_normalization_from_config",
    "create_normalization_layer",
    "get_normalization_info",
    "list_normalization_types",
    "validate_normalization_config",
]
