"""Factory for the positional and token embedding layers of ``dl_techniques``.

``EMBEDDING_REGISTRY`` is a module-level dict literal (tools read it statically with
``ast``): each type string maps to its ``class``, the ``required`` constructor parameters,
the ``optional`` ones with their defaults (identical to the class signature) and a one-line
``description``.

Example::

    from dl_techniques.layers.embedding import create_embedding_layer

    rope = create_embedding_layer("rope", head_dim=64, max_seq_len=2048)
    pos = create_embedding_from_config({"type": "sinusoidal", "max_seq_len": 512, "dim": 256})

Unknown types, missing required parameters and unknown keywords raise ``ValueError`` naming
the problem and the valid choices. Besides the registered parameters the factory accepts the
base layer keywords ``dtype`` and ``trainable`` (and ``name``, given separately).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal

import keras

from dl_techniques.layers.embedding.continuous_rope import ContinuousRoPE
from dl_techniques.layers.embedding.dual_rotary_position_embedding import (
    DualRotaryPositionEmbedding,
)
from dl_techniques.layers.embedding.positional_embedding import PositionEmbedding
from dl_techniques.layers.embedding.rotary_position_embedding import (
    RotaryPositionEmbedding,
)
from dl_techniques.layers.embedding.sinusoidal_position_embedding import (
    SinusoidalPositionEmbedding,
)
from dl_techniques.layers.embedding.token_embedding import TokenEmbedding

EmbeddingType = Literal[
    "rope",
    "dual_rope",
    "continuous_rope",
    "positional_learned",
    "sinusoidal",
    "token",
]

EMBEDDING_REGISTRY = {
    "rope": {
        "class": RotaryPositionEmbedding,
        "required": ["head_dim", "max_seq_len"],
        "optional": {"rope_theta": 10000.0, "rope_percentage": 1.0},
        "description": "Rotary position embedding for (batch, heads, seq, head_dim) queries/keys",
    },
    "dual_rope": {
        "class": DualRotaryPositionEmbedding,
        "required": ["head_dim", "max_seq_len"],
        "optional": {"global_theta": 1000000.0, "local_theta": 10000.0},
        "description": "Two rotary embeddings (global / local base) chosen per call, Gemma-style",
    },
    "continuous_rope": {
        "class": ContinuousRoPE,
        "required": ["dim", "ndim"],
        "optional": {"max_wavelength": 10000.0, "assume_normalized_coordinates": False},
        "description": "Rotary embedding driven by continuous ndim-dimensional coordinates",
    },
    "positional_learned": {
        "class": PositionEmbedding,
        "required": ["max_seq_len", "dim"],
        "optional": {"initializer": "truncated_normal", "dropout_rate": 0.0},
        "description": "Learned absolute position table added to (batch, seq, dim) inputs",
    },
    "sinusoidal": {
        "class": SinusoidalPositionEmbedding,
        "required": ["max_seq_len", "dim"],
        "optional": {"max_wavelength": 10000.0},
        "description": "Fixed sin/cos position table of the original Transformer, added to inputs",
    },
    "token": {
        "class": TokenEmbedding,
        "required": ["vocab_size", "dim"],
        "optional": {"embeddings_initializer": "glorot_uniform", "mask_zero": False},
        "description": "Token id lookup scaled by sqrt(dim)",
    },
}

# Keywords of keras.layers.Layer accepted on top of a type's registered parameters.
_LAYER_KWARGS = ("name", "dtype", "trainable")
_POSITIVE_INT_PARAMS = ("head_dim", "max_seq_len", "dim", "ndim", "vocab_size")


def _suggest(value: str, choices: list[str]) -> str:
    """``" Did you mean 'x'?"`` for close matches of ``value`` among ``choices``, else ``""``."""
    matches = difflib.get_close_matches(str(value), choices, n=3, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


def validate_embedding_config(embedding_type: str, **kwargs: Any) -> None:
    """Check an embedding type and its keyword arguments without creating the layer.

    :param embedding_type: a key of :data:`EMBEDDING_REGISTRY`.
    :param kwargs: constructor arguments for that type.
    :raises ValueError: unknown type, missing required parameter, unknown keyword, or a
        clearly invalid value (non-positive size, dropout outside ``[0, 1)``).
    """
    valid_types = sorted(EMBEDDING_REGISTRY)
    if not isinstance(embedding_type, str) or embedding_type not in EMBEDDING_REGISTRY:
        raise ValueError(
            f"Unknown embedding type {embedding_type!r}.{_suggest(embedding_type, valid_types)} "
            f"Valid types: {valid_types}."
        )
    entry = EMBEDDING_REGISTRY[embedding_type]
    required: list[str] = list(entry["required"])
    accepted = required + list(entry["optional"])
    missing = [p for p in required if p not in kwargs]
    if missing:
        raise ValueError(
            f"Embedding type {embedding_type!r} is missing required parameter(s) {missing}. "
            f"Required: {required}; optional: {sorted(entry['optional'])}."
        )
    unknown = [k for k in kwargs if k not in accepted and k not in _LAYER_KWARGS]
    if unknown:
        hints = "".join(_suggest(k, accepted) for k in unknown)
        raise ValueError(
            f"Unknown parameter(s) {unknown} for embedding type {embedding_type!r}.{hints} "
            f"Valid parameters: {accepted}."
        )
    for param in _POSITIVE_INT_PARAMS:
        if param in kwargs:
            value = kwargs[param]
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{param} must be a positive integer, got {value!r}.")
    if "dropout_rate" in kwargs and not 0.0 <= kwargs["dropout_rate"] < 1.0:
        raise ValueError(f"dropout_rate must be in [0, 1), got {kwargs['dropout_rate']!r}.")


def create_embedding_layer(
    embedding_type: EmbeddingType,
    name: str | None = None,
    **kwargs: Any,
) -> keras.layers.Layer:
    """Create an embedding layer of a registered type.

    :param embedding_type: one of :data:`EmbeddingType` (``"rope"``, ``"sinusoidal"``, ...).
    :param name: optional layer name.
    :param kwargs: the type's constructor arguments (see :func:`get_embedding_info`).
    :return: the (unbuilt) layer.
    :raises ValueError: invalid type or arguments (see :func:`validate_embedding_config`).
    """
    validate_embedding_config(embedding_type, **kwargs)
    cls = EMBEDDING_REGISTRY[embedding_type]["class"]
    if name is not None:
        kwargs["name"] = name
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Cannot create embedding type {embedding_type!r} ({cls.__name__}): {error}"
        ) from error


def create_embedding_from_config(config: Mapping[str, Any]) -> keras.layers.Layer:
    """Create an embedding layer from a dict ``{"type": ..., "name": optional, **params}``.

    :param config: configuration mapping; it is not modified.
    :return: the (unbuilt) layer.
    :raises ValueError: ``config`` is not a mapping, has no ``"type"``, or is invalid.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}.")
    if "type" not in config:
        raise ValueError(
            f"config must contain a 'type' key; valid types: {sorted(EMBEDDING_REGISTRY)}."
        )
    params = dict(config)
    embedding_type = params.pop("type")
    name = params.pop("name", None)
    return create_embedding_layer(embedding_type, name=name, **params)


def get_embedding_info() -> dict[str, dict[str, Any]]:
    """Per type: ``{"class", "required", "optional", "description"}`` (copies, safe to edit)."""
    return {
        embedding_type: {
            "class": entry["class"],
            "required": list(entry["required"]),
            "optional": dict(entry["optional"]),
            "description": entry["description"],
        }
        for embedding_type, entry in EMBEDDING_REGISTRY.items()
    }
