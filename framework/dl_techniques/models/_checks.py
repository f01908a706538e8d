"""Argument checks shared by the models of ``dl_techniques.models``.

Every check raises ``ValueError`` with a message that names the offending parameter.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

NORMALIZATION_POSITIONS = ("pre", "post")
POSITIONAL_TYPES = ("sinusoidal", "learned", "none")

# Embedding factory type used for each ``positional`` choice (``"none"`` adds nothing).
POSITIONAL_EMBEDDING_TYPES = {"sinusoidal": "sinusoidal", "learned": "positional_learned"}


def check_positive_int(name: str, value: Any) -> None:
    """Raise ``ValueError`` unless ``value`` is an ``int`` (not ``bool``) greater than zero.

    :param name: parameter name used in the message.
    :param value: the value to check.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_rate(name: str, value: Any) -> None:
    """Raise ``ValueError`` unless ``0 <= value < 1``.

    :param name: parameter name used in the message.
    :param value: the rate to check.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")


def check_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    :param name: parameter name used in the message.
    :param value: the value to check.
    :param choices: the accepted values.
    """
    valid = tuple(choices)
    if value not in valid:
        raise ValueError(f"Unknown {name} {value!r}; valid choices: {', '.join(map(repr, valid))}")


def check_heads(dim: int, num_heads: int) -> None:
    """Validate ``dim`` and ``num_heads`` and require ``dim % num_heads == 0``.

    :param dim: model width.
    :param num_heads: number of attention heads.
    """
    check_positive_int("dim", dim)
    check_positive_int("num_heads", num_heads)
    if dim % num_heads != 0:
        raise ValueError(f"dim ({dim}) must be divisible by num_heads ({num_heads})")


def resolve_intermediate_size(dim: int, intermediate_size: Optional[int]) -> int:
    """The FFN width: ``intermediate_size`` when given (validated), else ``4 * dim``.

    :param dim: model width.
    :param intermediate_size: explicit FFN width or ``None``.
    :return: the FFN width to use.
    """
    if intermediate_size is None:
        return 4 * dim
    check_positive_int("intermediate_size", intermediate_size)
    return intermediate_size
