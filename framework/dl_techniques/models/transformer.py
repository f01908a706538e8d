"""Transformer models: encoder, decoder, encoder-decoder and sequence classifier.

All models take integer token ids and are assembled from framework components: the token
and positional embeddings come from the embedding factory (``token``, ``sinusoidal``,
``positional_learned``), the encoder blocks are :class:`TransformerLayer`, the decoder
blocks :class:`TransformerDecoderLayer` and every norm comes from the norms factory.

Masks follow the attention package convention: a ``(batch, seq_len)`` padding mask whose
non-zero / ``True`` entries mark real tokens.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import keras
from keras import ops

from dl_techniques.layers.activations import ProbabilityOutput
from dl_techniques.layers.embedding import create_embedding_layer
from dl_techniques.layers.norms import create_normalization_layer
from dl_techniques.layers.transformers import TransformerLayer
from dl_techniques.models._checks import (
    NORMALIZATION_POSITIONS,
    POSITIONAL_EMBEDDING_TYPES,
    POSITIONAL_TYPES,
    check_choice,
    check_heads,
    check_positive_int,
    check_rate,
    resolve_intermediate_size,
)
from dl_techniques.models.decoder_layer import TransformerDecoderLayer

Shape = Tuple[Optional[int], ...]
POOLING_TYPES = ("mean", "cls")


def _check_stack_args(
    dim: int,
    num_heads: int,
    max_seq_len: int,
    positional: str,
    normalization_position: str,
    dropout_rate: float,
) -> None:
    """Validate the arguments every transformer stack shares (raises ``ValueError``)."""
    check_heads(dim, num_heads)
    check_positive_int("max_seq_len", max_seq_len)
    check_choice("positional", positional, POSITIONAL_TYPES)
    check_choice("normalization_position", normalization_position, NORMALIZATION_POSITIONS)
    check_rate("dropout_rate", dropout_rate)


def _create_positional(positional: str, max_seq_len: int, dim: int) -> Optional[keras.layers.Layer]:
    """The positional embedding layer for ``positional`` (``None`` for ``"none"``)."""
    if positional == "none":
        return None
    return create_embedding_layer(
        POSITIONAL_EMBEDDING_TYPES[positional], name="positional_embedding", max_seq_len=max_seq_len, dim=dim
    )


def _as_shape_pair(input_shape: Any, model_name: str) -> Tuple[Shape, Shape]:
    """Split the build shape of a two-input model into two tuples."""
    if (
        not isinstance(input_shape, (list, tuple))
        or len(input_shape) != 2
        or not all(isinstance(shape, (list, tuple)) for shape in input_shape)
    ):
        raise ValueError(f"{model_name} expects two inputs [a, b]; got input shape {input_shape!r}")
    return tuple(input_shape[0]), tuple(input_shape[1])


@keras.saving.register_keras_serializable(package="dl_techniques")
class _TransformerModelBase(keras.Model):
    """Stores and serializes the stack hyper-parameters shared by the transformer models.

    Subclasses keep their explicit ``__init__`` and hand the shared arguments to
    :meth:`_set_stack_args`; :meth:`_stack_kwargs` returns them as keyword arguments for
    nested stacks, and :meth:`get_config` saves them.
    """

    def _set_stack_args(
        self,
        dim: int,
        num_heads: int,
        intermediate_size: Optional[int],
        max_seq_len: int,
        positional: str,
        ffn_type: str,
        normalization_type: str,
        normalization_position: str,
        dropout_rate: float,
    ) -> None:
        """Store the shared stack arguments as attributes (no validation)."""
        self.dim = dim
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.max_seq_len = max_seq_len
        self.positional = positional
        self.ffn_type = ffn_type
        self.normalization_type = normalization_type
        self.normalization_position = normalization_position
        self.dropout_rate = dropout_rate

    def _stack_kwargs(self) -> Dict[str, Any]:
        """The shared stack arguments, as keyword arguments of a nested stack."""
        return {
            "dim": self.dim,
            "num_heads": self.num_heads,
            "intermediate_size": self.intermediate_size,
            "max_seq_len": self.max_seq_len,
            "positional": self.positional,
            "ffn_type": self.ffn_type,
            "normalization_type": self.normalization_type,
            "normalization_position": self.normalization_position,
            "dropout_rate": self.dropout_rate,
        }

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration: the base model's plus the shared stack arguments."""
        config = super().get_config()
        config.update(self._stack_kwargs())
        return config


@keras.saving.register_keras_serializable(package="dl_techniques")
class _TransformerStackBase(_TransformerModelBase):
    """Embedding + positional encoding + block stack + final norm, shared by encoder and decoder.

    :meth:`_create_stack` validates the arguments and creates ``token_embedding`` (or
    ``None``), ``positional_embedding``, ``embedding_dropout``, ``blocks`` and ``final_norm``
    in that order; :meth:`_build_stack` builds them and :meth:`_embed_inputs` applies the
    embedding part.
    """

    def _create_stack(
        self,
        vocab_size: int,
        num_layers: int,
        use_token_embedding: bool,
        make_block: Callable[[int, int], keras.layers.Layer],
    ) -> None:
        """Validate the stack arguments and create the embedding, blocks and final norm.

        :param vocab_size: number of token ids.
        :param num_layers: number of blocks.
        :param use_token_embedding: create a token embedding (else ``token_embedding`` is ``None``).
        :param make_block: ``make_block(index, ffn_width)`` creates the block ``block_{index}``.
        """
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("num_layers", num_layers)
        _check_stack_args(
            self.dim, self.num_heads, self.max_seq_len, self.positional, self.normalization_position, self.dropout_rate
        )
        ffn_width = resolve_intermediate_size(self.dim, self.intermediate_size)
        self.token_embedding = None
        if use_token_embedding:
            self.token_embedding = create_embedding_layer(
                "token", name="token_embedding", vocab_size=vocab_size, dim=self.dim
            )
        self.positional_embedding = _create_positional(self.positional, self.max_seq_len, self.dim)
        self.embedding_dropout = keras.layers.Dropout(self.dropout_rate, name="embedding_dropout")
        self.blocks = [make_block(index, ffn_width) for index in range(num_layers)]
        self.final_norm = create_normalization_layer(self.normalization_type, name="final_norm")

    def _build_stack(self, token_shape: Shape, hidden_shape: Shape, *block_shapes: Shape) -> None:
        """Build the embeddings on ``token_shape`` and the blocks / final norm on ``hidden_shape``.

        :param token_shape: shape of the token ids (used by the token embedding).
        :param hidden_shape: ``(batch, seq_len, dim)``.
        :param block_shapes: extra shapes passed to every block's ``build`` (e.g. the context).
        """
        if self.token_embedding is not None:
            self.token_embedding.build(token_shape)
        if self.positional_embedding is not None:
            self.positional_embedding.build(hidden_shape)
        self.embedding_dropout.build(hidden_shape)
        for block in self.blocks:
            block.build(hidden_shape, *block_shapes)
        self.final_norm.build(hidden_shape)

    def _embed_inputs(self, inputs: Any, training: Optional[bool] = None) -> Any:
        """Token embedding (when owned) + positional encoding + dropout.

        :param inputs: token ids, or already embedded inputs when there is no token embedding.
        :param training: enables dropout.
        :return: ``(batch, seq_len, dim)``.
        """
        x = self.token_embedding(inputs) if self.token_embedding is not None else inputs
        if self.positional_embedding is not None:
            x = self.positional_embedding(x)
        return self.embedding_dropout(x, training=training)


@keras.saving.register_keras_serializable(package="dl_techniques")
class TransformerEncoder(_TransformerStackBase):
    """Token embedding, positional encoding, ``num_layers`` transformer blocks, final norm.

    ``x = final_norm(blocks(dropout(positional(token_embedding(ids)))))``. The token
    embedding is scaled by ``sqrt(dim)``; ``positional`` selects the fixed sinusoidal table,
    a learned table, or nothing. Each block is a :class:`TransformerLayer` (bidirectional
    self-attention).

    Call: ``model(token_ids, mask=None, training=None)``, ``token_ids`` ``(batch, seq_len)``
    integers, ``mask`` an optional ``(batch, seq_len)`` padding mask. Returns
    ``(batch, seq_len, dim)``.

    :param vocab_size: number of token ids.
    :param dim: model width; must be divisible by ``num_heads``.
    :param num_heads: attention heads per block.
    :param num_layers: number of transformer blocks.
    :param intermediate_size: FFN width; ``4 * dim`` when ``None``.
    :param max_seq_len: longest accepted sequence (size of the positional table).
    :param positional: ``"sinusoidal"``, ``"learned"`` or ``"none"``.
    :param ffn_type: FFN factory type of the blocks.
    :param normalization_type: norms factory type of the blocks and the final norm.
    :param normalization_position: ``"pre"`` or ``"post"``.
    :param dropout_rate: dropout on the embeddings, the branch outputs and the attention
        weights.
    :param kwargs: base ``keras.Model`` arguments.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        num_heads: int,
        num_layers: int,
        intermediate_size: Optional[int] = None,
        max_seq_len: int = 512,
        positional: str = "sinusoidal",
        ffn_type: str = "mlp",
        normalization_type: str = "layer_norm",
        normalization_position: str = "pre",
        dropout_rate: float = 0.0,
        **kwargs: Any,
    ) -> None:
        """Validate the arguments and create the embeddings, blocks and final norm."""
        super().__init__(**kwargs)
        self._set_stack_args(
            dim, num_heads, intermediate_size, max_seq_len, positional, ffn_type,
            normalization_type, normalization_position, dropout_rate,
        )
        self.vocab_size = vocab_size
        self.num_layers = num_layers
        self._create_stack(vocab_size, num_layers, True, self._make_block)
        self.supports_masking = True

    def _make_block(self, index: int, ffn_width: int) -> keras.layers.Layer:
        """The encoder block ``block_{index}``: a :class:`TransformerLayer`."""
        return TransformerLayer(
            hidden_size=self.dim,
            num_heads=self.num_heads,
            intermediate_size=ffn_width,
            normalization_type=self.normalization_type,
            normalization_position=self.normalization_position,
            ffn_type=self.ffn_type,
            dropout_rate=self.dropout_rate,
            attention_dropout_rate=self.dropout_rate,
            name=f"block_{index}",
        )

    def build(self, input_shape: Shape) -> None:
        """Build the embeddings on ``(batch, seq_len)`` and the blocks on ``(batch, seq_len, dim)``."""
        input_shape = tuple(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"TransformerEncoder expects token ids (batch, seq_len), got shape {input_shape}")
        self._build_stack(input_shape, input_shape + (self.dim,))
        super().build(input_shape)

    def embed(self, token_ids: Any, training: Optional[bool] = None) -> Any:
        """Token embedding + positional encoding + dropout, ``(batch, seq_len, dim)``.

        :param token_ids: ``(batch, seq_len)`` integers.
        :param training: enables dropout.
        :return: the embedded sequence.
        """
        return self._embed_inputs(token_ids, training=training)

    def call(self, token_ids: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Encode a batch of token sequences.

        :param token_ids: ``(batch, seq_len)`` integers.
        :param mask: optional ``(batch, seq_len)`` padding mask.
        :param training: enables dropout.
        :return: ``(batch, seq_len, dim)``.
        """
        x = self.embed(token_ids, training=training)
        for block in self.blocks:
            x = block(x, mask=mask, training=training)
        return self.final_norm(x)

    def compute_mask(self, token_ids: Any, mask: Optional[Any] = None) -> Optional[Any]:
        """The output positions are the input positions: the padding mask carries over."""
        return mask

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """``(batch, seq_len, dim)``."""
        return tuple(input_shape) + (self.dim,)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "vocab_size": self.vocab_size,
                "num_layers": self.num_layers,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="dl_techniques")
class TransformerDecoder(_TransformerStackBase):
    """Autoregressive decoder over an encoder output, returning vocabulary logits.

    ``logits = output_proj(final_norm(blocks(dropout(positional(embed(targets))),
    encoder_output)))``, where each block is a :class:`TransformerDecoderLayer` (causal
    self-attention, cross-attention over the encoder output, FFN). Position ``t`` of the
    logits depends only on target positions ``<= t``. No softmax is applied.

    Call: ``model([targets, encoder_output], target_mask=None, context_mask=None,
    training=None)`` with ``targets`` ``(batch, tgt_len)`` token ids (or, when
    ``use_token_embedding=False``, already embedded targets ``(batch, tgt_len, dim)``) and
    ``encoder_output`` ``(batch, src_len, features)``; ``target_mask`` / ``context_mask``
    are optional padding masks of the targets / encoder positions. Returns
    ``(batch, tgt_len, vocab_size)``.

    :param vocab_size: target vocabulary size (rows of the token embedding and width of the
        output projection).
    :param dim: model width; must be divisible by ``num_heads``.
    :param num_heads: attention heads per block.
    :param num_layers: number of decoder blocks.
    :param intermediate_size: FFN width; ``4 * dim`` when ``None``.
    :param max_seq_len: longest accepted target sequence.
    :param positional: ``"sinusoidal"``, ``"learned"`` or ``"none"``.
    :param ffn_type: FFN factory type of the blocks.
    :param normalization_type: norms factory type of the blocks and the final norm.
    :param normalization_position: ``"pre"`` or ``"post"``.
    :param dropout_rate: dropout on the embeddings, the branch outputs and the attention
        weights.
    :param use_token_embedding: own a token embedding (default). ``False`` makes the
        decoder take embedded targets, so that another model can share its embedding
        (used by :class:`EncoderDecoderTransformer` with ``share_embeddings=True``).
    :param kwargs: base ``keras.Model`` arguments.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        num_heads: int,
        num_layers: int,
        intermediate_size: Optional[int] = None,
        max_seq_len: int = 512,
        positional: str = "sinusoidal",
        ffn_type: str = "mlp",
        normalization_type: str = "layer_norm",
        normalization_position: str = "pre",
        dropout_rate: float = 0.0,
        use_token_embedding: bool = True,
        **kwargs: Any,
    ) -> None:
        """Validate the arguments and create the embeddings, blocks, norm and projection."""
        super().__init__(**kwargs)
        self._set_stack_args(
            dim, num_heads, intermediate_size, max_seq_len, positional, ffn_type,
            normalization_type, normalization_position, dropout_rate,
        )
        self.vocab_size = vocab_size
        self.num_layers = num_layers
        self.use_token_embedding = bool(use_token_embedding)
        self._create_stack(vocab_size, num_layers, self.use_token_embedding, self._make_block)
        self.output_proj = keras.layers.Dense(vocab_size, name="output_proj")

    def _make_block(self, index: int, ffn_width: int) -> keras.layers.Layer:
        """The decoder block ``block_{index}``: a :class:`TransformerDecoderLayer`."""
        return TransformerDecoderLayer(
            dim=self.dim,
            num_heads=self.num_heads,
            intermediate_size=ffn_width,
            ffn_type=self.ffn_type,
            normalization_type=self.normalization_type,
            normalization_position=self.normalization_position,
            dropout_rate=self.dropout_rate,
            attention_dropout_rate=self.dropout_rate,
            name=f"block_{index}",
        )

    def build(self, input_shape: Sequence[Shape]) -> None:
        """Build on ``[targets_shape, encoder_output_shape]``."""
        target_shape, context_shape = _as_shape_pair(input_shape, "TransformerDecoder")
        expected_rank = 2 if self.use_token_embedding else 3
        if len(target_shape) != expected_rank or len(context_shape) != 3:
            what = "token ids (batch, tgt_len)" if self.use_token_embedding else f"embeddings (batch, tgt_len, {self.dim})"
            raise ValueError(
                f"TransformerDecoder expects [{what}, encoder_output (batch, src_len, features)]; "
                f"got {target_shape} and {context_shape}"
            )
        hidden_shape = target_shape[:2] + (self.dim,)
        self._build_stack(target_shape, hidden_shape, context_shape)
        self.output_proj.build(hidden_shape)
        super().build(input_shape)

    def call(
        self,
        inputs: Sequence[Any],
        target_mask: Optional[Any] = None,
        context_mask: Optional[Any] = None,
        training: Optional[bool] = None,
    ) -> Any:
        """Decode ``targets`` against ``encoder_output``.

        :param inputs: ``[targets, encoder_output]``.
        :param target_mask: optional ``(batch, tgt_len)`` padding mask of the targets.
        :param context_mask: optional ``(batch, src_len)`` padding mask of the encoder output.
        :param training: enables dropout.
        :return: logits ``(batch, tgt_len, vocab_size)``.
        """
        targets, context = inputs
        x = self._embed_inputs(targets, training=training)
        for block in self.blocks:
            x = block(x, context, target_mask=target_mask, context_mask=context_mask, training=training)
        return self.output_proj(self.final_norm(x))

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        """``(batch, tgt_len, vocab_size)``."""
        target_shape, _ = _as_shape_pair(input_shape, "TransformerDecoder")
        return target_shape[:2] + (self.vocab_size,)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "vocab_size": self.vocab_size,
                "num_layers": self.num_layers,
                "use_token_embedding": self.use_token_embedding,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="dl_techniques")
class EncoderDecoderTransformer(_TransformerModelBase):
    """Sequence-to-sequence Transformer: :class:`TransformerEncoder` + :class:`TransformerDecoder`.

    Call: ``model([src_ids, tgt_ids], src_mask=None, tgt_mask=None, training=None)`` with
    ``src_ids`` ``(batch, src_len)`` and ``tgt_ids`` ``(batch, tgt_len)`` token ids (the
    decoder input, i.e. the targets shifted right for teacher forcing); the optional masks
    are padding masks. Returns logits ``(batch, tgt_len, tgt_vocab_size)`` (no softmax).

    With ``share_embeddings=True`` the decoder embeds its targets with the encoder's token
    embedding (one table for both sides), which requires equal vocabularies.

    :param src_vocab_size: source vocabulary size.
    :param tgt_vocab_size: target vocabulary size (width of the logits).
    :param dim: model width; must be divisible by ``num_heads``.
    :param num_heads: attention heads per block.
    :param num_encoder_layers: encoder blocks.
    :param num_decoder_layers: decoder blocks.
    :param intermediate_size: FFN width; ``4 * dim`` when ``None``.
    :param max_seq_len: longest accepted source / target sequence.
    :param positional: ``"sinusoidal"``, ``"learned"`` or ``"none"``.
    :param ffn_type: FFN factory type.
    :param normalization_type: norms factory type.
    :param normalization_position: ``"pre"`` or ``"post"``.
    :param dropout_rate: dropout rate of both stacks.
    :param share_embeddings: share one token embedding between encoder and decoder.
    :param kwargs: base ``keras.Model`` arguments.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        dim: int,
        num_heads: int,
        num_encoder_layers: int,
        num_decoder_layers: int,
        intermediate_size: Optional[int] = None,
        max_seq_len: int = 512,
        positional: str = "sinusoidal",
        ffn_type: str = "mlp",
        normalization_type: str = "layer_norm",
        normalization_position: str = "pre",
        dropout_rate: float = 0.0,
        share_embeddings: bool = False,
        **kwargs: Any,
    ) -> None:
        """Validate the arguments and create the encoder and the decoder."""
        super().__init__(**kwargs)
        check_positive_int("src_vocab_size", src_vocab_size)
        check_positive_int("tgt_vocab_size", tgt_vocab_size)
        if share_embeddings and src_vocab_size != tgt_vocab_size:
            raise ValueError(
                "share_embeddings=True needs src_vocab_size == tgt_vocab_size, got "
                f"{src_vocab_size} and {tgt_vocab_size}"
            )
        self._set_stack_args(
            dim, num_heads, intermediate_size, max_seq_len, positional, ffn_type,
            normalization_type, normalization_position, dropout_rate,
        )
        self.src_vocab_size = src_vocab_size
        self.tgt_vocab_size = tgt_vocab_size
        self.num_encoder_layers = num_encoder_layers
        self.num_decoder_layers = num_decoder_layers
        self.share_embeddings = bool(share_embeddings)
        shared = self._stack_kwargs()
        self.encoder = TransformerEncoder(
            vocab_size=src_vocab_size, num_layers=num_encoder_layers, name="encoder", **shared
        )
        self.decoder = TransformerDecoder(
            vocab_size=tgt_vocab_size,
            num_layers=num_decoder_layers,
            use_token_embedding=not self.share_embeddings,
            name="decoder",
            **shared,
        )

    def build(self, input_shape: Sequence[Shape]) -> None:
        """Build the encoder on the source shape and the decoder on ``[targets, encoder output]``."""
        src_shape, tgt_shape = _as_shape_pair(input_shape, "EncoderDecoderTransformer")
        if len(src_shape) != 2 or len(tgt_shape) != 2:
            raise ValueError(
                "EncoderDecoderTransformer expects [src_ids (batch, src_len), tgt_ids (batch, tgt_len)]; "
                f"got {src_shape} and {tgt_shape}"
            )
        self.encoder.build(src_shape)
        decoder_targets = tgt_shape if not self.share_embeddings else tgt_shape + (self.dim,)
        self.decoder.build([decoder_targets, src_shape + (self.dim,)])
        super().build(input_shape)

    def encode(self, src_ids: Any, src_mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Run the encoder: ``(batch, src_len)`` ids -> ``(batch, src_len, dim)``.

        :param src_ids: source token ids.
        :param src_mask: optional source padding mask.
        :param training: enables dropout.
        :return: the encoder output.
        """
        return self.encoder(src_ids, mask=src_mask, training=training)

    def decode(
        self,
        tgt_ids: Any,
        encoder_output: Any,
        src_mask: Optional[Any] = None,
        tgt_mask: Optional[Any] = None,
        training: Optional[bool] = None,
    ) -> Any:
        """Run the decoder on target ids and an encoder output; returns logits.

        :param tgt_ids: ``(batch, tgt_len)`` decoder input ids.
        :param encoder_output: ``(batch, src_len, dim)`` from :meth:`encode`.
        :param src_mask: optional source padding mask.
        :param tgt_mask: optional target padding mask.
        :param training: enables dropout.
        :return: ``(batch, tgt_len, tgt_vocab_size)`` logits.
        """
        targets = self.encoder.token_embedding(tgt_ids) if self.share_embeddings else tgt_ids
        return self.decoder(
            [targets, encoder_output], target_mask=tgt_mask, context_mask=src_mask, training=training
        )

    def call(
        self,
        inputs: Sequence[Any],
        src_mask: Optional[Any] = None,
        tgt_mask: Optional[Any] = None,
        training: Optional[bool] = None,
    ) -> Any:
        """Encode the source and decode the targets.

        :param inputs: ``[src_ids, tgt_ids]``.
        :param src_mask: optional ``(batch, src_len)`` source padding mask.
        :param tgt_mask: optional ``(batch, tgt_len)`` target padding mask.
        :param training: enables dropout.
        :return: logits ``(batch, tgt_len, tgt_vocab_size)``.
        """
        src_ids, tgt_ids = inputs
        encoder_output = self.encode(src_ids, src_mask=src_mask, training=training)
        return self.decode(tgt_ids, encoder_output, src_mask=src_mask, tgt_mask=tgt_mask, training=training)

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        """``(batch, tgt_len, tgt_vocab_size)``."""
        _, tgt_shape = _as_shape_pair(input_shape, "EncoderDecoderTransformer")
        return tgt_shape[:2] + (self.tgt_vocab_size,)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "src_vocab_size": self.src_vocab_size,
                "tgt_vocab_size": self.tgt_vocab_size,
                "num_encoder_layers": self.num_encoder_layers,
                "num_decoder_layers": self.num_decoder_layers,
                "share_embeddings": self.share_embeddings,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="dl_techniques")
class TransformerClassifier(_TransformerModelBase):
    """Sequence classifier: :class:`TransformerEncoder`, pooling, dropout, linear head.

    ``pooling="mean"`` averages the encoder output over the real (unmasked) positions;
    ``pooling="cls"`` takes the output at position 0, so the caller puts a classification
    token first. The head returns logits, or probabilities through a softmax
    :class:`ProbabilityOutput` when ``output_probabilities=True``.

    Call: ``model(token_ids, mask=None, training=None)`` with ``token_ids``
    ``(batch, seq_len)`` and an optional ``(batch, seq_len)`` padding mask. Returns
    ``(batch, num_classes)``.

    :param vocab_size: number of token ids.
    :param num_classes: number of classes.
    :param dim: model width; must be divisible by ``num_heads``.
    :param num_heads: attention heads per block.
    :param num_layers: encoder blocks.
    :param intermediate_size: FFN width; ``4 * dim`` when ``None``.
    :param max_seq_len: longest accepted sequence.
    :param positional: ``"sinusoidal"``, ``"learned"`` or ``"none"``.
    :param ffn_type: FFN factory type.
    :param normalization_type: norms factory type.
    :param normalization_position: ``"pre"`` or ``"post"``.
    :param dropout_rate: dropout in the encoder and before the head.
    :param pooling: ``"mean"`` or ``"cls"``.
    :param output_probabilities: return softmax probabilities instead of logits.
    :param kwargs: base ``keras.Model`` arguments.
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        dim: int,
        num_heads: int,
        num_layers: int,
        intermediate_size: Optional[int] = None,
        max_seq_len: int = 512,
        positional: str = "sinusoidal",
        ffn_type: str = "mlp",
        normalization_type: str = "layer_norm",
        normalization_position: str = "pre",
        dropout_rate: float = 0.0,
        pooling: str = "mean",
        output_probabilities: bool = False,
        **kwargs: Any,
    ) -> None:
        """Validate the arguments and create the encoder and the classification head."""
        super().__init__(**kwargs)
        check_positive_int("num_classes", num_classes)
        check_choice("pooling", pooling, POOLING_TYPES)
        self._set_stack_args(
            dim, num_heads, intermediate_size, max_seq_len, positional, ffn_type,
            normalization_type, normalization_position, dropout_rate,
        )
        self.vocab_size = vocab_size
        self.num_classes = num_classes
        self.num_layers = num_layers
        self.pooling = pooling
        self.output_probabilities = bool(output_probabilities)
        self.encoder = TransformerEncoder(
            vocab_size=vocab_size, num_layers=num_layers, name="encoder", **self._stack_kwargs()
        )
        self.head_dropout = keras.layers.Dropout(dropout_rate, name="head_dropout")
        self.classifier = keras.layers.Dense(num_classes, name="classifier")
        self.probability_output = None
        if self.output_probabilities:
            self.probability_output = ProbabilityOutput(
                probability_type="softmax", type_config={"axis": -1}, name="probability_output"
            )
        self.supports_masking = True

    def build(self, input_shape: Shape) -> None:
        """Build the encoder on ``(batch, seq_len)`` and the head on ``(batch, dim)``."""
        input_shape = tuple(input_shape)
        self.encoder.build(input_shape)
        pooled_shape = (input_shape[0], self.dim)
        self.head_dropout.build(pooled_shape)
        self.classifier.build(pooled_shape)
        if self.probability_output is not None:
            self.probability_output.build((input_shape[0], self.num_classes))
        super().build(input_shape)

    def pool(self, hidden: Any, mask: Optional[Any] = None) -> Any:
        """Pool ``(batch, seq_len, dim)`` encoder states to ``(batch, dim)``.

        :param hidden: encoder output.
        :param mask: optional ``(batch, seq_len)`` padding mask (used by mean pooling).
        :return: the pooled features.
        """
        if self.pooling == "cls":
            return hidden[:, 0, :]
        if mask is None:
            return ops.mean(hidden, axis=1)
        weights = ops.expand_dims(ops.cast(ops.not_equal(ops.cast(mask, "float32"), 0.0), hidden.dtype), -1)
        total = ops.sum(hidden * weights, axis=1)
        count = ops.maximum(ops.sum(weights, axis=1), ops.cast(1.0, hidden.dtype))
        return total / count

    def call(self, token_ids: Any, mask: Optional[Any] = None, training: Optional[bool] = None) -> Any:
        """Classify a batch of token sequences.

        :param token_ids: ``(batch, seq_len)`` integers.
        :param mask: optional ``(batch, seq_len)`` padding mask.
        :param training: enables dropout.
        :return: ``(batch, num_classes)`` logits (or probabilities).
        """
        hidden = self.encoder(token_ids, mask=mask, training=training)
        pooled = self.head_dropout(self.pool(hidden, mask), training=training)
        logits = self.classifier(pooled)
        if self.probability_output is not None:
            return self.probability_output(logits)
        return logits

    def compute_mask(self, token_ids: Any, mask: Optional[Any] = None) -> Optional[Any]:
        """The padding mask is consumed by the pooling: the class scores carry no mask."""
        return None

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """``(batch, num_classes)``."""
        return (tuple(input_shape)[0], self.num_classes)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "vocab_size": self.vocab_size,
                "num_classes": self.num_classes,
                "num_layers": self.num_layers,
                "pooling": self.pooling,
                "output_probabilities": self.output_probabilities,
            }
        )
        return config


__all__: List[str] = [
    "EncoderDecoderTransformer",
    "TransformerClassifier",
    "TransformerDecoder",
    "TransformerEncoder",
]
