"""Normalization factory: create any supported normalization layer by name.

``NORMALIZATION_REGISTRY`` is a module-level dict literal (tools read it with ``ast``): each
type maps to its ``class``, the ``required`` parameter names, the ``optional`` parameters with
their factory defaults, and a one-line ``description``. ``epsilon`` is passed to every type
that has one (factory default ``1e-6``, which differs from the Keras layers' own defaults) and
silently left out for ``dynamic_tanh``, which has none.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import keras

from dl_techniques.layers.norms.dynamic_tanh import DynamicTanh
from dl_techniques.layers.norms.rms_norm import RMSNorm
from dl_techniques.layers.norms.zero_centered_rms_norm import ZeroCenteredRMSNorm
from dl_techniques.utils.logger import get_logger

_log = get_logger("layers.norms")

NormalizationType = Literal[
    "layer_norm",
    "rms_norm",
    "zero_centered_rms_norm",
    "batch_norm",
    "group_norm",
    "dynamic_tanh",
]

NORMALIZATION_REGISTRY = {
    "layer_norm": {
        "class": keras.layers.LayerNormalization,
        "required": [],
        "optional": {"axis": -1, "epsilon": 1e-6, "center": True, "scale": True},
        "description": "Layer normalization: per-sample mean/variance with scale and shift.",
    },
    "rms_norm": {
        "class": RMSNorm,
        "required": [],
        "optional": {"axis": -1, "epsilon": 1e-6, "use_scale": True, "scale_initializer": "ones"},
        "description": "Root-mean-square normalization without centring (modern LLM default).",
    },
    "zero_centered_rms_norm": {
        "class": ZeroCenteredRMSNorm,
        "required": [],
        "optional": {"axis": -1, "epsilon": 1e-6, "use_scale": True, "scale_initializer": "ones"},
        "description": "Mean subtraction followed by RMS normalization.",
    },
    "batch_norm": {
        "class": keras.layers.BatchNormalization,
        "required": [],
        "optional": {"axis": -1, "epsilon": 1e-6, "momentum": 0.99, "center": True,
                     "scale": True},
        "description": "Batch normalization with moving statistics for inference.",
    },
    "group_norm": {
        "class": keras.layers.GroupNormalization,
        "required": [],
        "optional": {"groups": 32, "axis": -1, "epsilon": 1e-6, "center": True, "scale": True},
        "description": "Group normalization: statistics over groups of channels.",
    },
    "dynamic_tanh": {
        "class": DynamicTanh,
        "required": [],
        "optional": {"axis": -1, "alpha_init_value": 0.5},
        "description": "Dynamic Tanh: weight * tanh(alpha * x) + bias, no statistics.",
    },
}

#: Generic Keras layer arguments accepted by every type besides its own parameters.
COMMON_LAYER_KWARGS = ("dtype", "trainable")


def _check_type(normalization_type: str) -> dict[str, Any]:
    """Registry entry of ``normalization_type`` or a ``ValueError`` listing the valid types."""
    if normalization_type not in NORMALIZATION_REGISTRY:
        raise ValueError(
            f"Unknown normalization type {normalization_type!r}; valid types: "
            f"{sorted(NORMALIZATION_REGISTRY)}"
        )
    return NORMALIZATION_REGISTRY[normalization_type]


def validate_normalization_config(normalization_type: str, **kwargs: Any) -> None:
    """Check a normalization type and its keyword arguments.

    ``name``, ``epsilon`` (ignored by ``dynamic_tanh``), ``dtype`` and ``trainable`` are
    accepted for every type, as are the type's ``required`` and ``optional`` parameters.

    :param normalization_type: a key of :data:`NORMALIZATION_REGISTRY`.
    :param kwargs: the arguments that would be passed to the factory.
    :raises ValueError: unknown type, unknown keyword or missing required parameter.
    """
    spec = _check_type(normalization_type)
    valid = list(spec["required"]) + list(spec["optional"])
    extra = ["name", "epsilon", *COMMON_LAYER_KWARGS]
    unknown = sorted(k for k in kwargs if k not in valid and k not in extra)
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {unknown} for normalization type {normalization_type!r}; "
            f"valid parameters: {valid} (plus {extra})"
        )
    missing = [k for k in spec["required"] if k not in kwargs]
    if missing:
        raise ValueError(
            f"Normalization type {normalization_type!r} requires parameter(s) {missing}"
        )


def create_normalization_layer(
    normalization_type: str,
    name: str | None = None,
    epsilon: float = 1e-6,
    **kwargs: Any,
) -> keras.layers.Layer:
    """Create a normalization layer by type name.

    :param normalization_type: one of ``layer_norm``, ``rms_norm``, ``zero_centered_rms_norm``,
        ``batch_norm``, ``group_norm``, ``dynamic_tanh``.
    :param name: optional layer name.
    :param epsilon: numerical stabiliser, passed to every type that has one.
    :param kwargs: type-specific parameters (see :func:`get_normalization_info`).
    :return: an unbuilt Keras layer.
    :raises ValueError: unknown type, unknown keyword or missing required parameter.
    """
    validate_normalization_config(normalization_type, **kwargs)
    spec = NORMALIZATION_REGISTRY[normalization_type]
    params = dict(kwargs)
    if "epsilon" in spec["optional"]:
        params["epsilon"] = epsilon
    if name is not None:
        params["name"] = name
    _log.debug("Creating %s normalization with %s", normalization_type, params)
    return spec["class"](**params)


def create_normalization_from_config(config: dict[str, Any]) -> keras.layers.Layer:
    """Create a normalization layer from ``{"type": ..., **kwargs}`` (the dict is not changed).

    :param config: mapping with the key ``type`` and the factory's keyword arguments.
    :return: an unbuilt Keras layer.
    :raises ValueError: ``config`` is not a dict or has no ``type``, or the factory rejects it.
    """
    if not isinstance(config, dict):
        raise ValueError(f"config must be a dict, got {type(config).__name__}")
    if "type" not in config:
        raise ValueError(
            f"Normalization config needs a 'type' key; valid types: {sorted(NORMALIZATION_REGISTRY)}"
        )
    params = dict(config)
    normalization_type = params.pop("type")
    return create_normalization_layer(normalization_type, **params)


def get_normalization_info() -> dict[str, dict[str, Any]]:
    """Per type: ``{"class": cls, "required": [...], "optional": {...}, "description": str}``.

    :return: a deep copy of the registry (safe to modify).
    """
    return {
        key: {
            "class": spec["class"],
            "required": list(spec["required"]),
            "optional": copy.deepcopy(spec["optional"]),
            "description": spec["description"],
        }
        for key, spec in NORMALIZATION_REGISTRY.items()
    }


def list_normalization_types() -> list[str]:
    """Names of all registered normalization types."""
    return list(NORMALIZATION_REGISTRY)
