"""Mixture-of-experts layers built from the FFN factory."""

from dl_techniques.layers.moe.config import ExpertConfig, GatingConfig, MoEConfig
from dl_techniques.layers.moe.factory import create_ffn_moe, create_moe_from_config
from dl_techniques.layers.moe.layer import MixtureOfExperts

__all__ = [
    "ExpertConfig",
    "GatingConfig",
    "MixtureOfExperts",
    "MoEConfig",
    "create_ffn_moe",
    "create_moe_from_config",
]
