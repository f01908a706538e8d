"""Rotary position embedding for continuous, multi-dimensional coordinates.

Where the classic RoPE rotates by an integer token index, this layer rotates by real-valued
coordinates (pixel centres, point-cloud positions, mesh vertices, time stamps, ...). The
``dim`` features are split evenly over the ``ndim`` coordinate axes: axis ``a`` owns
``dim / (2 * ndim)`` rotation planes, and plane ``k`` of axis ``a`` is turned by
``coords[..., a] * max_wavelength ** (-2k / (dim / ndim))``.

Planes follow the half-split convention over the whole ``dim``: plane ``j`` is the pair of
features ``(j, j + dim / 2)``; planes ``a * dim / (2 * ndim) ...`` belong to axis ``a``.
Because every plane angle is linear in the coordinates, the dot product of two rotated
vectors depends on their coordinates only through the displacement between them.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from dl_techniques.layers.embedding._rotary import (
    inverse_frequencies,
    rotate_with_tables,
)


@keras.saving.register_keras_serializable(package="dl_techniques")
class ContinuousRoPE(keras.layers.Layer):
    """Rotary embedding driven by continuous ``ndim``-dimensional coordinates.

    :param dim: number of features to rotate (usually ``head_dim``); must be divisible by
        ``2 * ndim``.
    :param ndim: number of coordinate axes (2 for images, 3 for point clouds, ...).
    :param max_wavelength: wavelength base of each axis' frequency ladder.
    :param assume_normalized_coordinates: if ``True`` the coordinates are taken to lie in
        ``[0, 1]`` and are multiplied by ``max_wavelength`` before the rotation. The highest
        frequency (1 rad per unit) then resolves steps of ``1 / max_wavelength`` of the unit
        interval while the lowest frequency turns by only about one radian across it, so no
        two points of the interval get the same rotation. If ``False`` (default) the
        coordinates are used as given (e.g. pixel or metric units).
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, coords)``

    * ``inputs``: features ``(batch, seq_len, dim)`` or per-head ``(batch, num_heads,
      seq_len, dim)``;
    * ``coords``: coordinates ``(batch, seq_len, ndim)`` (shared by all heads).

    Returns ``inputs`` rotated, same shape. :meth:`compute_angles` gives the plane angles
    ``(batch, seq_len, dim // 2)`` on their own.
    """

    def __init__(
        self,
        dim: int,
        ndim: int,
        max_wavelength: float = 10000.0,
        assume_normalized_coordinates: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(ndim, int) or ndim <= 0:
            raise ValueError(f"ndim must be a positive integer, got {ndim!r}.")
        if not isinstance(dim, int) or dim <= 0 or dim % (2 * ndim) != 0:
            raise ValueError(
                f"dim must be a positive integer divisible by 2 * ndim = {2 * ndim}, got {dim!r}."
            )
        if not max_wavelength > 0:
            raise ValueError(f"max_wavelength must be > 0, got {max_wavelength!r}.")
        self.dim = dim
        self.ndim = ndim
        self.max_wavelength = max_wavelength
        self.assume_normalized_coordinates = bool(assume_normalized_coordinates)
        self.coordinate_scale = float(max_wavelength) if self.assume_normalized_coordinates else 1.0
        self.frequency_matrix = None

    def _frequency_matrix_values(self) -> np.ndarray:
        """Block matrix ``(ndim, dim // 2)``: row ``a`` holds axis ``a``'s frequencies."""
        planes_per_axis = self.dim // (2 * self.ndim)
        freqs = inverse_frequencies(self.dim // self.ndim, self.max_wavelength)
        matrix = np.zeros((self.ndim, self.dim // 2), dtype=np.float64)
        for axis in range(self.ndim):
            matrix[axis, axis * planes_per_axis:(axis + 1) * planes_per_axis] = freqs
        return (matrix * self.coordinate_scale).astype("float32")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Validate the feature shape and create the non-trainable frequency matrix."""
        shape = tuple(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(
                "ContinuousRoPE expects features of shape (batch, seq_len, dim) or "
                f"(batch, num_heads, seq_len, dim); got {shape}."
            )
        if shape[-1] is not None and shape[-1] != self.dim:
            raise ValueError(f"ContinuousRoPE: last feature dimension {shape[-1]} != dim={self.dim}.")
        self.frequency_matrix = self.add_weight(
            name="frequency_matrix",
            shape=(self.ndim, self.dim // 2),
            initializer="zeros",
            trainable=False,
        )
        self.frequency_matrix.assign(self._frequency_matrix_values())
        super().build(input_shape)

    def compute_angles(self, coords: Any) -> Any:
        """Plane angles ``(batch, seq_len, dim // 2)`` for ``coords`` ``(batch, seq_len, ndim)``.

        The layer must be built (called once, or ``build`` with the feature shape) first.
        """
        if coords.shape[-1] is not None and coords.shape[-1] != self.ndim:
            raise ValueError(
                f"ContinuousRoPE: coords last dimension {coords.shape[-1]} != ndim={self.ndim}."
            )
        coords = ops.cast(coords, "float32")
        return ops.matmul(coords, ops.convert_to_tensor(self.frequency_matrix))

    def call(self, inputs: Any, coords: Any) -> Any:
        """Rotate ``inputs`` by the angles of ``coords`` (see the class docstring)."""
        angles = self.compute_angles(coords)
        if len(inputs.shape) == 4:
            angles = ops.expand_dims(angles, axis=1)  # shared by all heads
        angles = ops.concatenate([angles, angles], axis=-1)
        cos = ops.cast(ops.cos(angles), inputs.dtype)
        sin = ops.cast(ops.sin(angles), inputs.dtype)
        return rotate_with_tables(inputs, cos, sin, self.dim)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The output has the shape of ``inputs``."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "ndim": self.ndim,
                "max_wavelength": self.max_wavelength,
                "assume_normalized_coordinates": self.assume_normalized_coordinates,
            }
        )
        return config
