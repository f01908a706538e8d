"""Feed-forward blocks of ``dl_techniques``, created through one factory.

Use ``create_ffn_layer(type, ...)`` / ``create_ffn(ffn_type=..., output_dim=...)`` instead of
hand-written MLPs inside other layers.
"""

from dl_techniques.layers.ffn.diff_ffn import DifferentialFFN
from dl_techniques.layers.ffn.factory import (
    FFN_REGISTRY,
    FFNType,
    create_ffn,
    create_ffn_from_config,
    create_ffn_layer,
    get_ffn_info,
    validate_ffn_config,
)
from dl_techniques.layers.ffn.gated_mlp import GatedMLP
from dl_techniques.layers.ffn.geglu_ffn import GeGLUFFN
from dl_techniques.layers.ffn.glu_ffn import GLUFFN
from dl_techniques.layers.ffn.mlp import MLPBlock
from dl_techniques.layers.ffn.residual_block import ResidualBlock
from dl_techniques.layers.ffn.swiglu_ffn import SwiGLUFFN, swiglu_hidden_dim
from dl_techniques.layers.ffn.swin_mlp import SwinMLP

__all__ = [
    "FFN_REGISTRY",
    "GLUFFN",
    "DifferentialFFN",
    "FFNType",
    "GatedMLP",
    "GeGLUFFN",
    "MLPBlock",
    "ResidualBlock",
    "SwiGLUFFN",
    "SwinMLP",
    "create_ffn",
    "create_ffn_from_config",
    "create_ffn_layer",
    "get_ffn_info",
    "swiglu_hidden_dim",
    "validate_ffn_config",
]
