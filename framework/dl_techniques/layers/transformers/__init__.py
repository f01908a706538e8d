"""Transformer blocks of ``dl_techniques`` built from the framework factories."""

from dl_techniques.layers.transformers.stochastic_depth import StochasticDepth
from dl_techniques.layers.transformers.transformer import TransformerLayer

__all__ = ["StochasticDepth", "TransformerLayer"]
