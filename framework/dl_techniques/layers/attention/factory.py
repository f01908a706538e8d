"""Attention factory: one place to create any attention layer of the framework by name.

The registries below are plain dict literals so that tools (``dlt-lint``) can read them
without importing Keras. For every type, ``required`` lists the constructor parameters
without a default and ``optional`` maps every other constructor parameter to its default;
both must stay identical to the class ``__init__`` signature.

Usage::

    layer = create_attention_layer("group_query", dim=256, num_heads=8, num_kv_heads=2)
    layer = create_attention(attention_type="window", num_heads=8, head_dim=64, window_size=7)
"""

from __future__ import annotations

import copy
import difflib
from typing import Any, Dict, List, Literal, Optional

import keras

from dl_techniques.layers.attention.alibi_attention import ALiBiAttention
from dl_techniques.layers.attention.differential_attention import DifferentialAttention
from dl_techniques.layers.attention.group_query_attention import GroupedQueryAttention
from dl_techniques.layers.attention.linear_attention import LinearAttention
from dl_techniques.layers.attention.multi_head_attention import MultiHeadAttention
from dl_techniques.layers.attention.multi_head_cross_attention import MultiHeadCrossAttention
from dl_techniques.layers.attention.window_attention import WindowAttention

AttentionType = Literal[
    "multi_head",
    "multi_head_cross",
    "group_query",
    "window",
    "linear",
    "differential",
    "alibi",
]

_ATTENTION_LAYER_REGISTRY = {
    "multi_head": MultiHeadAttention,
    "multi_head_cross": MultiHeadCrossAttention,
    "group_query": GroupedQueryAttention,
    "window": WindowAttention,
    "linear": LinearAttention,
    "differential": DifferentialAttention,
    "alibi": ALiBiAttention,
}

_ATTENTION_PARAMS = {
    "multi_head": {
        "class": MultiHeadAttention,
        "required": ["dim", "num_heads"],
        "optional": {
            "head_dim": None,
            "dropout_rate": 0.0,
            "use_bias": False,
            "causal": False,
            "use_rope": False,
            "max_seq_len": 2048,
            "rope_theta": 10000.0,
            "probability_type": "softmax",
            "probability_config": None,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Standard multi-head scaled dot-product self-attention, optional causal mask and RoPE.",
    },
    "multi_head_cross": {
        "class": MultiHeadCrossAttention,
        "required": ["dim", "num_heads"],
        "optional": {
            "head_dim": None,
            "dropout_rate": 0.0,
            "use_bias": False,
            "probability_type": "softmax",
            "probability_config": None,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Multi-head attention of a query over a separate context: layer(query, context=...).",
    },
    "group_query": {
        "class": GroupedQueryAttention,
        "required": ["dim", "num_heads", "num_kv_heads"],
        "optional": {
            "head_dim": None,
            "dropout_rate": 0.0,
            "use_bias": False,
            "causal": False,
            "use_rope": False,
            "max_seq_len": 2048,
            "rope_theta": 10000.0,
            "probability_type": "softmax",
            "probability_config": None,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Grouped-query attention: num_heads query heads share num_kv_heads key/value heads.",
    },
    "window": {
        "class": WindowAttention,
        "required": ["dim", "num_heads", "window_size"],
        "optional": {
            "head_dim": None,
            "dropout_rate": 0.0,
            "use_bias": False,
            "causal": False,
            "use_rope": False,
            "max_seq_len": 2048,
            "rope_theta": 10000.0,
            "probability_type": "softmax",
            "probability_config": None,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Self-attention inside non-overlapping windows of window_size tokens (padded as needed).",
    },
    "linear": {
        "class": LinearAttention,
        "required": ["dim", "num_heads"],
        "optional": {
            "head_dim": None,
            "dropout_rate": 0.0,
            "use_bias": False,
            "causal": False,
            "epsilon": 1e-6,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "O(n) kernelised attention with the elu(x) + 1 feature map (no softmax).",
    },
    "differential": {
        "class": DifferentialAttention,
        "required": ["dim", "num_heads"],
        "optional": {
            "head_dim": None,
            "dropout_rate": 0.0,
            "use_bias": False,
            "causal": False,
            "use_rope": False,
            "max_seq_len": 2048,
            "rope_theta": 10000.0,
            "lambda_init": None,
            "depth": 0,
            "probability_type": "softmax",
            "probability_config": None,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Differential Transformer attention: difference of two attention maps with learnable lambda.",
    },
    "alibi": {
        "class": ALiBiAttention,
        "required": ["dim", "num_heads"],
        "optional": {
            "head_dim": None,
            "dropout_rate": 0.0,
            "use_bias": False,
            "causal": False,
            "probability_type": "softmax",
            "probability_config": None,
            "kernel_initializer": "glorot_uniform",
            "bias_initializer": "zeros",
            "kernel_regularizer": None,
            "bias_regularizer": None,
        },
        "description": "Self-attention with ALiBi linear distance biases (standard head slopes), no position embedding.",
    },
}

# Keras base-layer keywords accepted by every type in addition to the registry parameters.
_BASE_LAYER_KWARGS = ("dtype", "trainable")


def list_attention_types() -> List[str]:
    """Names of all registered attention types.

    :return: the registry keys, in registration order.
    """
    return list(_ATTENTION_LAYER_REGISTRY.keys())


def _did_you_mean(value: Any, choices: List[str]) -> str:
    """``" Did you mean 'x'?"`` for close matches of ``value`` among ``choices``, else ``""``."""
    matches = difflib.get_close_matches(str(value), choices, n=2, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""


def _check_type(attention_type: str) -> None:
    """Raise ``ValueError`` for an unregistered type."""
    if not isinstance(attention_type, str) or attention_type not in _ATTENTION_PARAMS:
        types = list_attention_types()
        raise ValueError(
            f"Unknown attention type {attention_type!r}.{_did_you_mean(attention_type, types)} "
            f"Valid types: {', '.join(types)}"
        )


def get_attention_info(attention_type: Optional[str] = None) -> Dict[str, Any]:
    """Describe the registered attention types.

    :param attention_type: one type, or ``None`` for all of them.
    :return: for one type ``{"class", "required", "optional", "description"}``; for all,
        a dict from type name to such a description. Copies: editing them does not touch
        the registry.
    :raises ValueError: for an unknown type.
    """

    def describe(name: str) -> Dict[str, Any]:
        entry = _ATTENTION_PARAMS[name]
        return {
            "class": entry["class"],
            "required": list(entry["required"]),
            "optional": copy.deepcopy(entry["optional"]),
            "description": entry["description"],
        }

    if attention_type is not None:
        _check_type(attention_type)
        return describe(attention_type)
    return {name: describe(name) for name in _ATTENTION_PARAMS}


def validate_attention_config(attention_type: str, **kwargs: Any) -> None:
    """Check a configuration without creating the layer.

    Checks the type, that every required parameter is present, that no unknown keyword is
    given, and the basic value constraints (positive sizes, ``dim`` divisible by
    ``num_heads`` without ``head_dim``, ``num_heads`` divisible by ``num_kv_heads``,
    dropout in ``[0, 1)``).

    :param attention_type: registered type name.
    :param kwargs: constructor arguments.
    :raises ValueError: naming the problem and the valid choices.
    """
    _check_type(attention_type)
    entry = _ATTENTION_PARAMS[attention_type]
    required = entry["required"]
    optional = entry["optional"]
    missing = [name for name in required if kwargs.get(name) is None]
    if missing:
        raise ValueError(
            f"Attention type {attention_type!r} is missing required parameter(s): "
            f"{', '.join(missing)}. Required: {', '.join(required)}"
        )
    valid = set(required) | set(optional) | set(_BASE_LAYER_KWARGS)
    unknown = sorted(name for name in kwargs if name not in valid)
    if unknown:
        accepted = list(required) + list(optional)
        hints = "".join(_did_you_mean(name, accepted) for name in unknown)
        raise ValueError(
            f"Unknown parameter(s) for attention type {attention_type!r}: {', '.join(unknown)}."
            f"{hints} Valid parameters: {', '.join(accepted)}"
        )
    for name in ("dim", "num_heads", "num_kv_heads", "window_size"):
        if name in kwargs:
            value = kwargs[name]
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
    head_dim = kwargs.get("head_dim")
    if head_dim is None and kwargs["dim"] % kwargs["num_heads"] != 0:
        raise ValueError(
            f"dim ({kwargs['dim']}) must be divisible by num_heads ({kwargs['num_heads']}) "
            "when head_dim is not given"
        )
    if "num_kv_heads" in kwargs and kwargs["num_heads"] % kwargs["num_kv_heads"] != 0:
        raise ValueError(
            f"num_heads ({kwargs['num_heads']}) must be divisible by num_kv_heads "
            f"({kwargs['num_kv_heads']})"
        )
    dropout_rate = kwargs.get("dropout_rate", 0.0)
    if not isinstance(dropout_rate, (int, float)) or not 0.0 <= dropout_rate < 1.0:
        raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate!r}")


def create_attention_layer(
    attention_type: str, name: Optional[str] = None, **kwargs: Any
) -> keras.layers.Layer:
    """Create an attention layer of a registered type.

    :param attention_type: one of :func:`list_attention_types`.
    :param name: optional layer name.
    :param kwargs: constructor arguments of that type (see :func:`get_attention_info`),
        plus the Keras base keywords ``dtype`` / ``trainable``.
    :return: the (unbuilt) layer.
    :raises ValueError: for an unknown type, a missing required parameter, an unknown
        keyword or an invalid value.
    """
    validate_attention_config(attention_type, **kwargs)
    layer_class = _ATTENTION_LAYER_REGISTRY[attention_type]
    if name is not None:
        kwargs["name"] = name
    try:
        return layer_class(**kwargs)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Could not create {attention_type!r} attention: {error}") from error


def create_attention(
    attention_type: str = "multi_head", name: Optional[str] = None, **kwargs: Any
) -> keras.layers.Layer:
    """Create an attention layer; ``dim`` may be given as ``num_heads`` and ``head_dim``.

    Same as :func:`create_attention_layer`, except that when ``dim`` is omitted and both
    ``num_heads`` and ``head_dim`` are given, ``dim = num_heads * head_dim``.

    :param attention_type: one of :func:`list_attention_types`.
    :param name: optional layer name.
    :param kwargs: constructor arguments.
    :return: the (unbuilt) layer.
    :raises ValueError: as :func:`create_attention_layer`.
    """
    if kwargs.get("dim") is None and kwargs.get("num_heads") and kwargs.get("head_dim"):
        kwargs["dim"] = int(kwargs["num_heads"]) * int(kwargs["head_dim"])
    return create_attention_layer(attention_type, name=name, **kwargs)
