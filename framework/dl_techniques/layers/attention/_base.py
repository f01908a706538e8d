"""Shared base of the attention layers: validation, projections, score layers and config.

Every attention layer of the package follows the same create / build / get_config rhythm:

* ``__init__`` validates and stores ``dim`` / ``num_heads`` / ``head_dim`` /
  ``dropout_rate`` / ``use_bias`` and the projection initializers and regularizers
  (:class:`BaseAttention`), then creates its sub-layers with the helpers
  :meth:`BaseAttention._create_projections`, :meth:`BaseAttention._create_score_layers`
  and :meth:`BaseAttention._create_rope`;
* ``build`` builds them with :meth:`BaseAttention._build_projections` and
  :meth:`BaseAttention._build_score_layers`;
* ``get_config`` starts from :meth:`BaseAttention.get_config` (the standard keys) and adds
  the layer's own keys.

Concrete layers keep explicit ``__init__`` signatures (the attention factory registry and
lint rule DLT602 compare them) and pass the standard parameters to this base.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras

from dl_techniques.layers.activations import ProbabilityOutput
from dl_techniques.layers.attention.utils import check_dropout_rate, resolve_head_dim
from dl_techniques.layers.embedding import create_embedding_layer


@keras.saving.register_keras_serializable(package="dl_techniques")
class BaseAttention(keras.layers.Layer):
    """Common parameters and sub-layer helpers of the multi-head attention layers.

    Stores the standard parameters and provides helpers that create and build the
    ``query_proj`` / ``key_proj`` / ``value_proj`` / ``output_proj`` projections, the
    ``score_activation`` / ``attention_dropout`` score layers and the optional ``rope``
    layer. On its own the layer has no ``call``; concrete attention layers subclass it.

    :param dim: model (output) dimension.
    :param num_heads: number of attention heads.
    :param head_dim: size of each head; ``dim // num_heads`` when ``None``.
    :param dropout_rate: dropout rate used by the concrete layer.
    :param use_bias: whether the projections have a bias.
    :param kernel_initializer: initializer of the projection kernels.
    :param bias_initializer: initializer of the projection biases.
    :param kernel_regularizer: regularizer of the projection kernels.
    :param bias_regularizer: regularizer of the projection biases.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        head_dim: Optional[int] = None,
        dropout_rate: float = 0.0,
        use_bias: bool = False,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        """Validate and store the standard attention parameters."""
        super().__init__(**kwargs)
        self.head_dim = resolve_head_dim(dim, num_heads, head_dim)
        check_dropout_rate(dropout_rate)
        self.dim = dim
        self.num_heads = num_heads
        self.dropout_rate = dropout_rate
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.supports_masking = True

    def _create_projections(self, kv_heads: Optional[int] = None) -> None:
        """Create ``query_proj`` / ``key_proj`` / ``value_proj`` / ``output_proj``.

        :param kv_heads: number of key/value heads; ``num_heads`` when ``None``.
        """
        inner_dim = self.num_heads * self.head_dim
        kv_dim = (self.num_heads if kv_heads is None else kv_heads) * self.head_dim
        dense_kwargs = dict(
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            dtype=self.dtype_policy,
        )
        self.query_proj = keras.layers.Dense(inner_dim, name="query_proj", **dense_kwargs)
        self.key_proj = keras.layers.Dense(kv_dim, name="key_proj", **dense_kwargs)
        self.value_proj = keras.layers.Dense(kv_dim, name="value_proj", **dense_kwargs)
        self.output_proj = keras.layers.Dense(self.dim, name="output_proj", **dense_kwargs)

    def _create_score_layers(
        self, probability_type: str, probability_config: Optional[Dict[str, Any]]
    ) -> None:
        """Store the score options and create ``score_activation`` / ``attention_dropout``.

        :param probability_type: ``ProbabilityOutput`` type used to normalise the scores.
        :param probability_config: ``type_config`` of that ``ProbabilityOutput``.
        """
        self.probability_type = probability_type
        self.probability_config = probability_config
        self.score_activation = ProbabilityOutput(
            probability_type=probability_type,
            type_config=probability_config,
            name="score_activation",
        )
        self.attention_dropout = keras.layers.Dropout(
            self.dropout_rate, name="attention_dropout", dtype=self.dtype_policy
        )

    def _create_rope(
        self,
        use_rope: bool,
        max_seq_len: int,
        rope_theta: float,
        rope_dim: Optional[int] = None,
    ) -> None:
        """Store the rotary options and create ``rope`` (``None`` without ``use_rope``).

        :param use_rope: rotate queries and keys with rotary position embeddings.
        :param max_seq_len: longest sequence the rotary table covers.
        :param rope_theta: rotary base frequency.
        :param rope_dim: size of the rotated vectors; ``head_dim`` when ``None``.
        """
        self.use_rope = use_rope
        self.max_seq_len = max_seq_len
        self.rope_theta = rope_theta
        self.rope = None
        if use_rope:
            self.rope = create_embedding_layer(
                "rope",
                head_dim=self.head_dim if rope_dim is None else rope_dim,
                max_seq_len=max_seq_len,
                rope_theta=rope_theta,
                name="rope",
            )

    def _build_projections(
        self,
        query_shape: Tuple[Optional[int], ...],
        context_shape: Optional[Tuple[Optional[int], ...]] = None,
    ) -> None:
        """Build the four projections.

        :param query_shape: ``(batch, query_len, features)`` seen by ``query_proj``.
        :param context_shape: shape seen by ``key_proj`` / ``value_proj``;
            ``query_shape`` when ``None``.
        """
        if context_shape is None:
            context_shape = query_shape
        self.query_proj.build(query_shape)
        self.key_proj.build(context_shape)
        self.value_proj.build(context_shape)
        self.output_proj.build((query_shape[0], query_shape[1], self.num_heads * self.head_dim))

    def _build_score_layers(
        self,
        score_shape: Tuple[Optional[int], ...],
        dropout_shape: Optional[Tuple[Optional[int], ...]] = None,
    ) -> None:
        """Build ``score_activation`` and ``attention_dropout``.

        :param score_shape: shape of the scores given to ``score_activation``.
        :param dropout_shape: shape of the weights given to ``attention_dropout``;
            ``score_shape`` when ``None``.
        """
        self.score_activation.build(score_shape)
        self.attention_dropout.build(score_shape if dropout_shape is None else dropout_shape)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration of the standard parameters."""
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "num_heads": self.num_heads,
                "head_dim": self.head_dim,
                "dropout_rate": self.dropout_rate,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            }
        )
        return config
