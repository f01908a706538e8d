"""Complete Keras 3 models built from the ``dl_techniques`` layers.

* :class:`FeedForwardNetwork`: configurable MLP (optional norms and residual shortcuts).
* :class:`TransformerEncoder`: token + positional embedding, transformer blocks, final norm.
* :class:`TransformerDecoderLayer` / :class:`TransformerDecoder`: causal self-attention and
  cross-attention blocks; the decoder returns vocabulary logits.
* :class:`EncoderDecoderTransformer`: sequence-to-sequence model, ``[src, tgt] -> logits``.
* :class:`TransformerClassifier`: encoder + mean / first-token pooling + class head.
* :class:`MiniVec2VecAligner`: orthogonal map between two embedding spaces fitted without
  paired data by :meth:`MiniVec2VecAligner.align`.

Every model is registered for ``.keras`` serialization under the ``dl_techniques`` package.
"""

from dl_techniques.models.decoder_layer import TransformerDecoderLayer
from dl_techniques.models.feed_forward import FeedForwardNetwork
from dl_techniques.models.mini_vec2vec import MiniVec2VecAligner
from dl_techniques.models.transformer import (
    EncoderDecoderTransformer,
    TransformerClassifier,
    TransformerDecoder,
    TransformerEncoder,
)

__all__ = [
    "EncoderDecoderTransformer",
    "FeedForwardNetwork",
    "MiniVec2VecAligner",
    "TransformerClassifier",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
]
