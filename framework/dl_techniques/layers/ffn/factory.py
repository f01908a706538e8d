"""Factory for the feed-forward (FFN) blocks of ``dl_techniques``.

``FFN_REGISTRY`` is a module-level dict literal (tools read it statically with ``ast``): each
type string maps to its ``class``, the ``required`` constructor parameters, the ``optional``
ones with their defaults (identical to the class signature) and a one-line ``description``.

Two entry points create layers:

* :func:`create_ffn_layer` takes the class arguments as they are::

      create_ffn_layer("glu", hidden_dim=512, output_dim=128)

* :func:`create_ffn` takes an ``output_dim`` and an ``ffn_expansion_factor`` and derives
  ``hidden_dim = output_dim * ffn_expansion_factor`` for the types that need a hidden width
  (``swiglu`` gets the expansion settings instead and sizes itself)::

      create_ffn(ffn_type="swiglu", output_dim=768, ffn_expansion_factor=4)

Unknown types, missing required parameters and unknown keywords raise ``ValueError`` naming
the problem and the valid choices. Besides the registered parameters the factory accepts the
base layer keywords ``dtype`` and ``trainable`` (and ``name``, given separately).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal

import keras

from dl_techniques.layers.ffn.diff_ffn import DifferentialFFN
from dl_techniques.layers.ffn.gated_mlp import GatedMLP
from dl_techniques.layers.ffn.geglu_ffn import GeGLUFFN
from dl_techniques.layers.ffn.glu_ffn import GLUFFN
from dl_techniques.layers.ffn.mlp import MLPBlock
from dl_techniques.layers.ffn.residual_block import ResidualBlock
from dl_techniques.layers.ffn.swiglu_ffn import SwiGLUFFN
from dl_techniques.layers.ffn.swin_mlp import SwinMLP

FFNType = Literal[
    "mlp",
    "glu",
    "geglu",
    "swiglu",
    "differential",
    "residual",
    "swin_mlp",
    "gated_mlp",
]

FFN_REGISTRY = {
    "mlp": {
        "class": MLPBlock,
        "required": ["hidden_dim", "output_dim"],
        "optional": {
            "activation": "gelu",
            "dropout_rate": 0.0,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Standard transformer MLP: dense -> activation -> dropout -> dense",
    },
    "glu": {
        "class": GLUFFN,
        "required": ["hidden_dim", "output_dim"],
        "optional": {
            "activation": "sigmoid",
            "dropout_rate": 0.0,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Gated linear unit: activation(gate) * value, then output projection",
    },
    "geglu": {
        "class": GeGLUFFN,
        "required": ["hidden_dim", "output_dim"],
        "optional": {
            "activation": "gelu",
            "dropout_rate": 0.0,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "GLU with a GELU gate (T5 v1.1, Gemma)",
    },
    "swiglu": {
        "class": SwiGLUFFN,
        "required": ["output_dim"],
        "optional": {
            "hidden_dim": None,
            "ffn_expansion_factor": 4,
            "ffn_multiple_of": 256,
            "dropout_rate": 0.0,
            "use_bias": False,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "SwiGLU with LLaMA hidden sizing (2/3 of the expansion, rounded up)",
    },
    "differential": {
        "class": DifferentialFFN,
        "required": ["hidden_dim", "output_dim"],
        "optional": {
            "branch_activation": "gelu",
            "gate_activation": "sigmoid",
            "dropout_rate": 0.0,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Difference of two gated branches, projected to the output",
    },
    "residual": {
        "class": ResidualBlock,
        "required": ["hidden_dim", "output_dim"],
        "optional": {
            "activation": "relu",
            "dropout_rate": 0.0,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "MLP branch plus identity or projected shortcut",
    },
    "swin_mlp": {
        "class": SwinMLP,
        "required": ["hidden_dim"],
        "optional": {
            "output_dim": None,
            "activation": "gelu",
            "dropout_rate": 0.0,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Swin Transformer MLP; output width defaults to the input width",
    },
    "gated_mlp": {
        "class": GatedMLP,
        "required": ["hidden_dim", "output_dim"],
        "optional": {
            "activation": "gelu",
            "gate_type": "spatial",
            "epsilon": 1e-6,
            "dropout_rate": 0.0,
            "use_bias": True,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "gMLP block with a spatial (token-mixing) or feature gating unit",
    },
}

# Keywords of keras.layers.Layer accepted on top of a type's registered parameters.
_LAYER_KWARGS = ("name", "dtype", "trainable")
_POSITIVE_INT_PARAMS = ("hidden_dim", "output_dim", "ffn_multiple_of")


def _suggest(value: str, choices: list[str]) -> str:
    """``" Did you mean 'x'?"`` for close matches of ``value`` among ``choices``, else ``""``."""
    matches = difflib.get_close_matches(str(value), choices, n=3, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


def _entry(ffn_type: str) -> dict[str, Any]:
    """Registry entry of ``ffn_type`` or a ``ValueError`` listing the valid types."""
    valid_types = sorted(FFN_REGISTRY)
    if not isinstance(ffn_type, str) or ffn_type not in FFN_REGISTRY:
        raise ValueError(
            f"Unknown FFN type {ffn_type!r}.{_suggest(ffn_type, valid_types)} "
            f"Valid types: {valid_types}."
        )
    return FFN_REGISTRY[ffn_type]


def validate_ffn_config(ffn_type: str, **kwargs: Any) -> None:
    """Check an FFN type and its keyword arguments without creating the layer.

    :param ffn_type: a key of :data:`FFN_REGISTRY`.
    :param kwargs: constructor arguments for that type.
    :raises ValueError: unknown type, missing required parameter, unknown keyword, or a
        clearly invalid value (non-positive width, dropout outside ``[0, 1)``).
    """
    entry = _entry(ffn_type)
    required: list[str] = list(entry["required"])
    accepted = required + list(entry["optional"])
    missing = [p for p in required if p not in kwargs]
    if missing:
        raise ValueError(
            f"FFN type {ffn_type!r} is missing required parameter(s) {missing}. "
            f"Required: {required}; optional: {sorted(entry['optional'])}."
        )
    unknown = [k for k in kwargs if k not in accepted and k not in _LAYER_KWARGS]
    if unknown:
        hints = "".join(_suggest(k, accepted) for k in unknown)
        raise ValueError(
            f"Unknown parameter(s) {unknown} for FFN type {ffn_type!r}.{hints} "
            f"Valid parameters: {accepted}."
        )
    for param in _POSITIVE_INT_PARAMS:
        value = kwargs.get(param)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ValueError(f"{param} must be a positive integer, got {value!r}.")
    if "dropout_rate" in kwargs and not 0.0 <= kwargs["dropout_rate"] < 1.0:
        raise ValueError(f"dropout_rate must be in [0, 1), got {kwargs['dropout_rate']!r}.")
    if "ffn_expansion_factor" in kwargs and not kwargs["ffn_expansion_factor"] > 0:
        raise ValueError(f"ffn_expansion_factor must be > 0, got {kwargs['ffn_expansion_factor']!r}.")


def create_ffn_layer(ffn_type: FFNType, name: str | None = None, **kwargs: Any) -> keras.layers.Layer:
    """Create an FFN block of a registered type from its class arguments.

    :param ffn_type: one of :data:`FFNType`.
    :param name: optional layer name.
    :param kwargs: the type's constructor arguments (see :func:`get_ffn_info`).
    :return: the (unbuilt) layer.
    :raises ValueError: invalid type or arguments (see :func:`validate_ffn_config`).
    """
    validate_ffn_config(ffn_type, **kwargs)
    cls = FFN_REGISTRY[ffn_type]["class"]
    if name is not None:
        kwargs["name"] = name
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Cannot create FFN type {ffn_type!r} ({cls.__name__}): {error}") from error


def create_ffn(
    ffn_type: FFNType,
    output_dim: int,
    ffn_expansion_factor: float = 4,
    name: str | None = None,
    **kwargs: Any,
) -> keras.layers.Layer:
    """Create an FFN block from an output width and an expansion factor.

    For types that require ``hidden_dim`` and are not given one, ``hidden_dim`` becomes
    ``round(output_dim * ffn_expansion_factor)``. Types that accept ``ffn_expansion_factor``
    themselves (``swiglu``) receive it unchanged and size their hidden layer on their own.

    :param ffn_type: one of :data:`FFNType`.
    :param output_dim: output width of the block.
    :param ffn_expansion_factor: hidden width relative to ``output_dim``.
    :param name: optional layer name.
    :param kwargs: further constructor arguments of the type.
    :return: the (unbuilt) layer.
    :raises ValueError: invalid type or arguments.
    """
    entry = _entry(ffn_type)
    if isinstance(output_dim, bool) or not isinstance(output_dim, int) or output_dim <= 0:
        raise ValueError(f"output_dim must be a positive integer, got {output_dim!r}.")
    if isinstance(ffn_expansion_factor, bool) or not ffn_expansion_factor > 0:
        raise ValueError(f"ffn_expansion_factor must be > 0, got {ffn_expansion_factor!r}.")
    params = dict(kwargs)
    params["output_dim"] = output_dim
    if "ffn_expansion_factor" in entry["optional"]:
        params["ffn_expansion_factor"] = ffn_expansion_factor
    elif "hidden_dim" in entry["required"] and "hidden_dim" not in params:
        params["hidden_dim"] = round(output_dim * ffn_expansion_factor)
    return create_ffn_layer(ffn_type, name=name, **params)


def create_ffn_from_config(config: Mapping[str, Any]) -> keras.layers.Layer:
    """Create an FFN block from a dict ``{"type": ..., "name": optional, **params}``.

    :param config: configuration mapping; it is not modified.
    :return: the (unbuilt) layer.
    :raises ValueError: ``config`` is not a mapping, has no ``"type"``, or is invalid.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}.")
    if "type" not in config:
        raise ValueError(f"config must contain a 'type' key; valid types: {sorted(FFN_REGISTRY)}.")
    params = dict(config)
    ffn_type = params.pop("type")
    name = params.pop("name", None)
    return create_ffn_layer(ffn_type, name=name, **params)


def get_ffn_info() -> dict[str, dict[str, Any]]:
    """Per type: ``{"class", "required", "optional", "description"}`` (copies, safe to edit)."""
    return {
        ffn_type: {
            "class": entry["class"],
            "required": list(entry["required"]),
            "optional": dict(entry["optional"]),
            "description": entry["description"],
        }
        for ffn_type, entry in FFN_REGISTRY.items()
    }
