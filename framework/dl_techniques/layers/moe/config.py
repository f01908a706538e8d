"""Configuration objects for mixture-of-experts layers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional

GATING_TYPES = ("linear", "cosine")


@dataclass
class ExpertConfig:
    """How each expert is built: an FFN factory config (``type`` plus its arguments)."""

    ffn_config: Dict[str, Any] = field(default_factory=lambda: {"type": "mlp", "hidden_dim": 256,
                                                                  "output_dim": 64})


@dataclass
class GatingConfig:
    """How tokens are routed to experts."""

    gating_type: str = "linear"
    top_k: int = 2
    capacity_factor: float = 1.25
    aux_loss_weight: float = 0.01
    z_loss_weight: float = 1e-3

    def __post_init__(self) -> None:
        if self.gating_type not in GATING_TYPES:
            raise ValueError(f"unknown gating_type '{self.gating_type}'; valid types: {list(GATING_TYPES)}")
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if self.capacity_factor <= 0:
            raise ValueError(f"capacity_factor must be > 0, got {self.capacity_factor}")


@dataclass
class MoEConfig:
    """A whole mixture-of-experts layer; ``to_dict()`` feeds :func:`create_ffn_moe`."""

    num_experts: int = 8
    expert_config: ExpertConfig = field(default_factory=ExpertConfig)
    gating_config: GatingConfig = field(default_factory=GatingConfig)
    drop_tokens: bool = True
    use_residual_connection: bool = False
    name: Optional[str] = None

    def __post_init__(self) -> None:
        if self.num_experts < 1:
            raise ValueError(f"num_experts must be >= 1, got {self.num_experts}")
        if self.gating_config.top_k > self.num_experts:
            raise ValueError(f"top_k ({self.gating_config.top_k}) cannot exceed num_experts "
                             f"({self.num_experts})")

    def to_dict(self) -> Dict[str, Any]:
        """Plain-dict form; nested configs become dicts."""
        data = asdict(self)
        if data["name"] is None:
            data.pop("name")
        return data

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "MoEConfig":
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        expert = data.pop("expert_config", {}) or {}
        gating = data.pop("gating_config", {}) or {}
        return cls(expert_config=ExpertConfig(**expert), gating_config=GatingConfig(**gating), **data)
