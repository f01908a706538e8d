"""Axis helpers shared by the normalization layers of this package."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

AxisSpec = int | Sequence[int]


def validate_axis(axis: Any) -> None:
    """Raise ``ValueError`` unless ``axis`` is an int or a non-empty sequence of ints."""
    if isinstance(axis, bool):
        raise ValueError(f"axis must be an int or a sequence of ints, got {axis!r}")
    if isinstance(axis, int):
        return
    if isinstance(axis, (list, tuple)) and axis and all(
        isinstance(a, int) and not isinstance(a, bool) for a in axis
    ):
        return
    raise ValueError(f"axis must be an int or a non-empty sequence of ints, got {axis!r}")


def normalize_axes(axis: AxisSpec, rank: int) -> tuple[int, ...]:
    """Positive, sorted, de-duplicated axes for a tensor of ``rank`` dimensions."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    resolved = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"axis {a} is out of range for an input of rank {rank}")
        resolved.append(a % rank)
    return tuple(sorted(set(resolved)))


def param_shapes(input_shape: Sequence[Any], axes: tuple[int, ...]) -> tuple[tuple, tuple]:
    """Weight shape over ``axes`` and the shape that broadcasts it against the input."""
    for a in axes:
        if input_shape[a] is None:
            raise ValueError(f"The size of normalised axis {a} must be known, got {input_shape}")
    weight_shape = tuple(int(input_shape[a]) for a in axes)
    broadcast = tuple(int(input_shape[i]) if i in axes else 1 for i in range(len(input_shape)))
    return weight_shape, broadcast


def axis_to_config(axis: AxisSpec) -> AxisSpec:
    """JSON friendly axis (tuples become lists so a config round trip compares equal)."""
    return axis if isinstance(axis, int) else list(axis)
