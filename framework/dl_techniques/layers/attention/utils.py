"""Shared helpers of the attention layers: masks and head reshaping.

Every attention layer of this package builds and applies its masks through the two
functions below, so the mask conventions are the same everywhere:

* A mask value that is ``True`` (or non-zero) means *attend*; ``False`` / ``0`` means the
  position is hidden (the Keras convention).
* Accepted mask shapes:

  - ``(batch, key_len)``: a padding mask over the keys;
  - ``(batch, query_len, key_len)``: a full mask shared by all heads;
  - ``(batch, num_heads, query_len, key_len)``: a full mask per head.

* ``causal=True`` additionally hides the future. When ``query_len != key_len`` the causal
  diagonal is aligned to the bottom right (query ``i`` sees keys ``j <= i + key_len -
  query_len``), which is what a decoder with cached keys needs.

``build_attention_mask`` combines all of this into one boolean tensor that broadcasts to
``(batch, num_heads, query_len, key_len)``; ``apply_attention_mask`` writes a large,
finite negative value into the hidden score positions (finite so that a row that is
masked everywhere still gives finite probabilities instead of NaN).
"""

from __future__ import annotations

from typing import Any, Optional

import keras
from keras import ops

# Fill value for hidden score entries. float16 cannot hold -1e9, so it gets a value that
# is still far below any realistic score yet representable (float16 max is ~6.5e4).
_MASK_VALUE_FLOAT16 = -1.0e4
_MASK_VALUE_DEFAULT = -1.0e9


def mask_value(dtype: Any) -> float:
    """Large negative, finite fill value for masked scores of the given dtype.

    :param dtype: dtype of the score tensor.
    :return: ``-1e4`` for float16, ``-1e9`` otherwise (float32, bfloat16, float64).
    """
    if keras.backend.standardize_dtype(dtype) == "float16":
        return _MASK_VALUE_FLOAT16
    return _MASK_VALUE_DEFAULT


def _to_bool(mask: Any) -> Any:
    """Boolean view of a mask given as bool, int or float (non-zero means attend)."""
    mask = ops.convert_to_tensor(mask)
    if keras.backend.standardize_dtype(mask.dtype) == "bool":
        return mask
    return ops.not_equal(mask, ops.zeros((), dtype=mask.dtype))


def causal_mask(query_len: Any, key_len: Any) -> Any:
    """Boolean ``(query_len, key_len)`` lower-triangular mask aligned to the bottom right.

    :param query_len: number of queries (int or scalar tensor).
    :param key_len: number of keys (int or scalar tensor).
    :return: boolean tensor, ``True`` where query ``i`` may see key ``j``.
    """
    rows = ops.expand_dims(ops.arange(query_len, dtype="int32"), axis=1)
    cols = ops.expand_dims(ops.arange(key_len, dtype="int32"), axis=0)
    offset = ops.cast(key_len, "int32") - ops.cast(query_len, "int32")
    return ops.less_equal(cols, rows + offset)


def build_attention_mask(
    mask: Optional[Any] = None,
    query_len: Optional[Any] = None,
    key_len: Optional[Any] = None,
    causal: bool = False,
) -> Optional[Any]:
    """Combine a padding / full mask and an optional causal mask into one boolean mask.

    :param mask: ``None``, ``(batch, key_len)``, ``(batch, query_len, key_len)`` or
        ``(batch, num_heads, query_len, key_len)``; non-zero / ``True`` means attend.
    :param query_len: number of queries (needed when ``causal``).
    :param key_len: number of keys (needed when ``causal``).
    :param causal: also hide keys that lie in the future of each query.
    :return: ``None`` when nothing is masked, else a boolean rank-4 tensor that broadcasts
        to ``(batch, num_heads, query_len, key_len)``.
    :raises ValueError: for a mask of another rank, or ``causal`` without lengths.
    """
    result = None
    if mask is not None:
        mask = _to_bool(mask)
        rank = len(mask.shape)
        if rank == 2:
            result = mask[:, None, None, :]
        elif rank == 3:
            result = mask[:, None, :, :]
        elif rank == 4:
            result = mask
        else:
            raise ValueError(
                "attention mask must have shape (batch, key_len), (batch, query_len, key_len) "
                f"or (batch, num_heads, query_len, key_len); got rank {rank} "
                f"(shape {tuple(mask.shape)})"
            )
    if causal:
        if query_len is None or key_len is None:
            raise ValueError("causal masking needs query_len and key_len")
        future = causal_mask(query_len, key_len)[None, None, :, :]
        result = future if result is None else ops.logical_and(result, future)
    return result


def apply_attention_mask(scores: Any, mask: Optional[Any]) -> Any:
    """Replace masked score entries by a large finite negative value.

    :param scores: attention scores, ``(..., query_len, key_len)``.
    :param mask: boolean mask from :func:`build_attention_mask` (or ``None``); it must
        broadcast to ``scores``.
    :return: the masked scores (``scores`` itself when ``mask`` is ``None``).
    """
    if mask is None:
        return scores
    fill = ops.cast(mask_value(scores.dtype), scores.dtype)
    return ops.where(_to_bool(mask), scores, fill)


def padding_mask_for_output(mask: Optional[Any]) -> Optional[Any]:
    """Mask to propagate to a self-attention output: only a rank-2 padding mask survives.

    :param mask: the mask the layer was called with.
    :return: ``mask`` when it is a ``(batch, seq_len)`` padding mask, else ``None``.
    """
    if mask is None:
        return None
    if len(mask.shape) == 2:
        return mask
    return None


def split_heads(x: Any, num_heads: int, head_dim: int) -> Any:
    """Reshape ``(batch, seq, num_heads * head_dim)`` to ``(batch, num_heads, seq, head_dim)``.

    :param x: projected tensor.
    :param num_heads: number of heads.
    :param head_dim: size of each head.
    :return: the per-head tensor.
    """
    batch = ops.shape(x)[0]
    x = ops.reshape(x, (batch, -1, num_heads, head_dim))
    return ops.transpose(x, (0, 2, 1, 3))


def merge_heads(x: Any) -> Any:
    """Reshape ``(batch, num_heads, seq, head_dim)`` back to ``(batch, seq, num_heads * head_dim)``.

    :param x: per-head tensor with static ``num_heads`` and ``head_dim``.
    :return: the merged tensor.
    """
    num_heads, head_dim = x.shape[1], x.shape[3]
    batch = ops.shape(x)[0]
    x = ops.transpose(x, (0, 2, 1, 3))
    return ops.reshape(x, (batch, -1, num_heads * head_dim))


def resolve_head_dim(dim: int, num_heads: int, head_dim: Optional[int]) -> int:
    """Validate ``dim`` / ``num_heads`` / ``head_dim`` and return the head size.

    :param dim: model dimension.
    :param num_heads: number of heads.
    :param head_dim: explicit head size or ``None`` for ``dim // num_heads``.
    :return: the head size.
    :raises ValueError: for non-positive values, or ``dim % num_heads != 0`` without
        an explicit ``head_dim``.
    """
    if not isinstance(dim, int) or dim <= 0:
        raise ValueError(f"dim must be a positive int, got {dim!r}")
    if not isinstance(num_heads, int) or num_heads <= 0:
        raise ValueError(f"num_heads must be a positive int, got {num_heads!r}")
    if head_dim is None:
        if dim % num_heads != 0:
            raise ValueError(
                f"dim ({dim}) must be divisible by num_heads ({num_heads}) "
                "when head_dim is not given"
            )
        return dim // num_heads
    if not isinstance(head_dim, int) or head_dim <= 0:
        raise ValueError(f"head_dim must be a positive int or None, got {head_dim!r}")
    return head_dim


def check_dropout_rate(dropout_rate: float, name: str = "dropout_rate") -> None:
    """Raise ``ValueError`` unless ``0 <= dropout_rate < 1``.

    :param dropout_rate: the rate to check.
    :param name: parameter name used in the message.
    """
    if not isinstance(dropout_rate, (int, float)) or not 0.0 <= float(dropout_rate) < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {dropout_rate!r}")


def check_input_rank(input_shape: Any, layer_name: str) -> None:
    """Raise ``ValueError`` unless the input is a 3D ``(batch, seq_len, features)`` shape.

    :param input_shape: the shape passed to ``build``.
    :param layer_name: class name used in the message.
    """
    if input_shape is None or len(input_shape) != 3:
        raise ValueError(
            f"{layer_name} expects inputs of shape (batch, seq_len, features); got "
            f"{None if input_shape is None else tuple(input_shape)}. Flatten spatial "
            "dimensions into a sequence first."
        )


def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    score_activation: keras.layers.Layer,
    mask: Optional[Any] = None,
    bias: Optional[Any] = None,
    dropout: Optional[keras.layers.Layer] = None,
    training: Optional[bool] = None,
    scale: Optional[float] = None,
) -> Any:
    """Scaled dot-product attention on per-head tensors.

    ``weights = score_activation(mask(q k^T * scale + bias))``, ``out = dropout(weights) v``.

    :param query: ``(batch, heads, query_len, head_dim)``.
    :param key: ``(batch, heads, key_len, head_dim)``.
    :param value: ``(batch, heads, key_len, value_dim)``.
    :param score_activation: the layer that turns scores into probabilities
        (a ``ProbabilityOutput``).
    :param mask: boolean mask from :func:`build_attention_mask` or ``None``.
    :param bias: additive score bias broadcastable to the scores, or ``None``.
    :param dropout: dropout layer applied to the attention weights, or ``None``.
    :param training: training flag for the dropout.
    :param scale: score scale; ``head_dim ** -0.5`` when ``None``.
    :return: ``(batch, heads, query_len, value_dim)``.
    """
    if scale is None:
        scale = float(query.shape[-1]) ** -0.5
    scores = ops.matmul(query * ops.cast(scale, query.dtype), ops.swapaxes(key, -1, -2))
    if bias is not None:
        scores = scores + ops.cast(bias, scores.dtype)
    scores = apply_attention_mask(scores, mask)
    weights = score_activation(scores)
    if dropout is not None:
        weights = dropout(weights, training=training)
    return ops.matmul(ops.cast(weights, value.dtype), value)
