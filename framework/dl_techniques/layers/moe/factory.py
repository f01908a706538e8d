"""Building mixture-of-experts layers from configs."""

from __future__ import annotations

from typing import Any, Dict, Optional

from dl_techniques.layers.moe.config import ExpertConfig, GatingConfig, MoEConfig
from dl_techniques.layers.moe.layer import MixtureOfExperts


def create_ffn_moe(
    num_experts: int,
    ffn_config: Optional[Dict[str, Any]] = None,
    expert_config: Optional[Dict[str, Any] | ExpertConfig] = None,
    gating_config: Optional[Dict[str, Any] | GatingConfig] = None,
    name: Optional[str] = None,
    **kwargs: Any,
) -> MixtureOfExperts:
    """Create a :class:`MixtureOfExperts` of FFN experts.

    Accepts both ``create_ffn_moe(**MoEConfig(...).to_dict())`` and the flat form
    ``create_ffn_moe(num_experts=8, ffn_config={...}, top_k=2, aux_loss_weight=0.01)``.

    Raises:
        ValueError: no expert FFN config, or conflicting / unknown options.
    """
    if isinstance(expert_config, ExpertConfig):
        expert_config = {"ffn_config": expert_config.ffn_config}
    if isinstance(gating_config, GatingConfig):
        gating_config = {k: getattr(gating_config, k) for k in gating_config.__dataclass_fields__}
    if ffn_config is None and expert_config:
        ffn_config = expert_config.get("ffn_config")
    if ffn_config is None:
        raise ValueError("create_ffn_moe needs an expert FFN config (ffn_config=... or expert_config=...)")
    gating = dict(gating_config or {})
    overlap = sorted(set(gating) & set(kwargs))
    if overlap:
        raise ValueError(f"options given both in gating_config and directly: {overlap}")
    options = {**gating, **kwargs}
    GatingConfig(**{k: v for k, v in options.items() if k in GatingConfig.__dataclass_fields__})
    allowed = set(GatingConfig.__dataclass_fields__) | {"drop_tokens", "use_residual_connection"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"unknown MoE option(s): {unknown}; valid options: {sorted(allowed)}")
    return MixtureOfExperts(num_experts=num_experts, ffn_config=dict(ffn_config), name=name, **options)


def create_moe_from_config(config: MoEConfig) -> MixtureOfExperts:
    """Create a :class:`MixtureOfExperts` from a :class:`MoEConfig`."""
    return create_ffn_moe(**config.to_dict())
