"""Small helpers shared by the builders: read a ``type`` and reject unknown keys."""

from __future__ import annotations

from typing import Any, Iterable, Mapping


def split_config(config: Mapping[str, Any], kind: str, valid_types: Iterable[str]) -> tuple[str, dict[str, Any]]:
    """Return ``(type, remaining options)`` from a builder config dict.

    Raises:
        ValueError: when ``config`` is not a mapping, has no ``type`` or names an unknown type.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"{kind} config must be a dict, got {type(config).__name__}")
    if "type" not in config:
        raise ValueError(f"{kind} config needs a 'type' key; valid types: {sorted(valid_types)}")
    kind_type = str(config["type"]).strip().lower()
    valid = sorted(valid_types)
    if kind_type not in valid:
        raise ValueError(f"unknown {kind} type '{config['type']}'; valid types: {valid}")
    options = {k: v for k, v in config.items() if k != "type"}
    return kind_type, options


def reject_unknown(options: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming any key of ``options`` not in ``allowed``."""
    allowed = set(allowed)
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"unknown option(s) for {what}: {unknown}; valid options: {sorted(allowed)}")
