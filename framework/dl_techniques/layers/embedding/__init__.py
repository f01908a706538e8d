"""Positional and token embeddings of ``dl_techniques``, created through one factory.

Outside this package, obtain rotary embeddings with
``create_embedding_layer("rope", head_dim=..., max_seq_len=...)`` rather than writing the
rotation by hand.
"""

from dl_techniques.layers.embedding.continuous_rope import ContinuousRoPE
from dl_techniques.layers.embedding.dual_rotary_position_embedding import (
    DualRotaryPositionEmbedding,
)
from dl_techniques.layers.embedding.factory import (
    EMBEDDING_REGISTRY,
    EmbeddingType,
    create_embedding_from_config,
    create_embedding_layer,
    get_embedding_info,
    validate_embedding_config,
)
from dl_techniques.layers.embedding.positional_embedding import PositionEmbedding
from dl_techniques.layers.embedding.rotary_position_embedding import (
    RotaryPositionEmbedding,
)
from dl_techniques.layers.embedding.sinusoidal_position_embedding import (
    SinusoidalPositionEmbedding,
)
from dl_techniques.layers.embedding.token_embedding import TokenEmbedding

__all__ = [
    "EMBEDDING_REGISTRY",
    "ContinuousRoPE",
    "DualRotaryPositionEmbedding",
    "EmbeddingType",
    "PositionEmbedding",
    "RotaryPositionEmbedding",
    "SinusoidalPositionEmbedding",
    "TokenEmbedding",
    "create_embedding_from_config",
    "create_embedding_layer",
    "get_embedding_info",
    "validate_embedding_config",
]
