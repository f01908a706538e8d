"""Shared rotary-embedding math used by the RoPE layers of this package.

The tables are computed once with NumPy in float64 (exact, backend independent) and the
rotation itself is applied with ``keras.ops``. All rotary layers use the *half-split*
convention: a feature vector of width ``2m`` is viewed as ``m`` planes, plane ``i`` being
the coordinates ``(i, i + m)``; plane ``i`` is turned by the angle ``position * freq[i]``.

This module is private to ``dl_techniques.layers.embedding``: code elsewhere in the
framework obtains rotary embeddings through ``create_embedding_layer("rope", ...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from keras import ops


def inverse_frequencies(rotary_dim: int, base: float) -> np.ndarray:
    """Frequencies ``base ** (-2i / rotary_dim)`` for ``i in [0, rotary_dim / 2)``.

    :param rotary_dim: even number of rotated features.
    :param base: the wavelength base (``theta``), > 0.
    :return: float64 array of shape ``(rotary_dim // 2,)``.
    """
    exponents = np.arange(0, rotary_dim, 2, dtype=np.float64) / float(rotary_dim)
    return 1.0 / np.power(float(base), exponents)


def rotary_tables(max_seq_len: int, rotary_dim: int, base: float) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and sine tables for integer positions ``0 .. max_seq_len - 1``.

    :param max_seq_len: number of positions.
    :param rotary_dim: even number of rotated features.
    :param base: the wavelength base (``theta``).
    :return: ``(cos, sin)``, each float32 of shape ``(max_seq_len, rotary_dim)``; the angle of
        plane ``i`` is repeated at columns ``i`` and ``i + rotary_dim // 2``.
    """
    positions = np.arange(max_seq_len, dtype=np.float64)
    angles = np.outer(positions, inverse_frequencies(rotary_dim, base))
    angles = np.concatenate([angles, angles], axis=-1)
    return np.cos(angles).astype("float32"), np.sin(angles).astype("float32")


def rotate_with_tables(x: Any, cos: Any, sin: Any, rotary_dim: int) -> Any:
    """Rotate the first ``rotary_dim`` features of ``x``; the remaining features pass through.

    :param x: tensor ``(..., rotary_dim + rest)``.
    :param cos: cosines broadcastable to ``(..., rotary_dim)``.
    :param sin: sines broadcastable to ``(..., rotary_dim)``.
    :param rotary_dim: even number of leading features to rotate.
    :return: tensor of the same shape and dtype as ``x``.
    """
    width = x.shape[-1]
    if width is not None and rotary_dim < width:
        x_rot, x_pass = ops.split(x, [rotary_dim], axis=-1)
    else:
        x_rot, x_pass = x, None
    first, second = ops.split(x_rot, 2, axis=-1)
    rotated_half = ops.concatenate([ops.negative(second), first], axis=-1)
    out = x_rot * cos + rotated_half * sin
    if x_pass is not None:
        out = ops.concatenate([out, x_pass], axis=-1)
    return out


def check_sequence_input(
    layer_name: str,
    input_shape: Sequence[int | None],
    head_dim: int,
    max_seq_len: int,
) -> None:
    """Validate a ``(..., seq_len, head_dim)`` shape for a rotary layer.

    :raises ValueError: rank below 3, wrong last dimension, or ``seq_len > max_seq_len``.
    """
    shape = tuple(input_shape)
    if len(shape) < 3:
        raise ValueError(
            f"{layer_name} expects inputs of shape (batch, num_heads, seq_len, head_dim) "
            f"(or (batch, seq_len, head_dim)); got shape {shape}."
        )
    if shape[-1] is not None and shape[-1] != head_dim:
        raise ValueError(
            f"{layer_name}: last input dimension {shape[-1]} does not match head_dim={head_dim}."
        )
    check_sequence_length(layer_name, shape[-2], max_seq_len)


def check_sequence_length(layer_name: str, seq_len: Any, max_seq_len: int) -> None:
    """Raise ``ValueError`` when a statically known ``seq_len`` exceeds ``max_seq_len``."""
    if isinstance(seq_len, (int, np.integer)) and int(seq_len) > max_seq_len:
        raise ValueError(
            f"{layer_name}: sequence length {int(seq_len)} exceeds max_seq_len={max_seq_len}."
        )
