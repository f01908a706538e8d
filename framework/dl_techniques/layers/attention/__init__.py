"""Attention layers of ``dl_techniques`` and the attention factory.

Create layers through the factory (``create_attention_layer`` / ``create_attention``) or
import the classes directly. Mask conventions shared by all layers are documented in
:mod:`dl_techniques.layers.attention.utils`.
"""

from dl_techniques.layers.attention.alibi_attention import ALiBiAttention, get_alibi_slopes
from dl_techniques.layers.attention.differential_attention import DifferentialAttention
from dl_techniques.layers.attention.factory import (
    AttentionType,
    create_attention,
    create_attention_layer,
    get_attention_info,
    list_attention_types,
    validate_attention_config,
)
from dl_techniques.layers.attention.group_query_attention import GroupedQueryAttention
from dl_techniques.layers.attention.linear_attention import LinearAttention
from dl_techniques.layers.attention.multi_head_attention import MultiHeadAttention
from dl_techniques.layers.attention.multi_head_cross_attention import MultiHeadCrossAttention
from dl_techniques.layers.attention.utils import apply_attention_mask, build_attention_mask
from dl_techniques.layers.attention.window_attention import WindowAttention

__all__ = [
    "ALiBiAttention",
    "AttentionType",
    "DifferentialAttention",
    "GroupedQueryAttention",
    "LinearAttention",
    "MultiHeadAttention",
    "MultiHeadCrossAttention",
    "WindowAttention",
    "apply_attention_mask",
    "build_attention_mask",
    "create_attention",
    "create_attention_layer",
    "get_alibi_slopes",
    "get_attention_info",
    "list_attention_types",
    "validate_attention_config",
]
