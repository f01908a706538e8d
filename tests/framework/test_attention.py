"""Tests of the attention layers, their shared mask helpers and the attention factory."""

from __future__ import annotations

import inspect
import typing

import keras
import numpy as np
import pytest

from dl_techniques.layers.attention import (
    ALiBiAttention,
    AttentionType,
    DifferentialAttention,
    GroupedQueryAttention,
    LinearAttention,
    MultiHeadAttention,
    MultiHeadCrossAttention,
    WindowAttention,
    apply_attention_mask,
    build_attention_mask,
    create_attention,
    create_attention_layer,
    get_alibi_slopes,
    get_attention_info,
    list_attention_types,
    validate_attention_config,
)
from dl_techniques.layers.attention import factory as attention_factory
from dl_techniques.layers.attention.utils import mask_value
from tests.framework.roundtrip import assert_roundtrip

ATOL = 1e-5
DIM, HEADS, SEQ, BATCH = 16, 4, 6, 2


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _inputs(shape=(BATCH, SEQ, DIM), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def _dense(layer, x):
    y = x @ _np(layer.kernel)
    if layer.use_bias:
        y = y + _np(layer.bias)
    return y


def _heads(x, num_heads):
    b, s, f = x.shape
    return x.reshape(b, s, num_heads, f // num_heads).transpose(0, 2, 1, 3)


def _merge(x):
    b, h, s, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, s, h * d)


def _reference_attention(layer, x, context=None, keep=None, bias=None, kv_heads=None):
    """NumPy scaled dot-product attention from the layer's own projection weights."""
    context = x if context is None else context
    q = _heads(_dense(layer.query_proj, x), layer.num_heads)
    k = _heads(_dense(layer.key_proj, context), kv_heads or layer.num_heads)
    v = _heads(_dense(layer.value_proj, context), kv_heads or layer.num_heads)
    if kv_heads:
        k = np.repeat(k, layer.num_heads // kv_heads, axis=1)
        v = np.repeat(v, layer.num_heads // kv_heads, axis=1)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if bias is not None:
        scores = scores + bias
    if keep is not None:
        scores = np.where(keep, scores, -1e9)
    out = _softmax(scores) @ v
    return _dense(layer.output_proj, _merge(out))


def _copy_weights(src, dst, x):
    dst(x)
    dst.set_weights(src.get_weights())


# --------------------------------------------------------------------------- utils


def test_build_attention_mask_shapes_and_causal_alignment():
    pad = np.array([[1, 1, 0], [1, 0, 0]], dtype="int32")
    mask = _np(build_attention_mask(pad))
    assert mask.shape == (2, 1, 1, 3) and mask.dtype == bool
    np.testing.assert_array_equal(mask[:, 0, 0], pad.astype(bool))

    full = np.ones((2, 4, 3), dtype="float32")
    assert _np(build_attention_mask(full)).shape == (2, 1, 4, 3)
    per_head = np.ones((2, 5, 4, 3), dtype=bool)
    assert _np(build_attention_mask(per_head)).shape == (2, 5, 4, 3)

    causal = _np(build_attention_mask(None, 3, 3, causal=True))[0, 0]
    np.testing.assert_array_equal(causal, np.tril(np.ones((3, 3), dtype=bool)))
    # Fewer queries than keys: the diagonal is aligned to the bottom right.
    shifted = _np(build_attention_mask(None, 2, 4, causal=True))[0, 0]
    np.testing.assert_array_equal(shifted, np.array([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=bool))
    both = _np(build_attention_mask(np.array([[1, 0, 1]]), 3, 3, causal=True))[0, 0]
    np.testing.assert_array_equal(both, np.tril(np.ones((3, 3), dtype=bool)) & [True, False, True])

    assert build_attention_mask(None) is None
    with pytest.raises(ValueError, match="rank"):
        build_attention_mask(np.ones((2,), dtype=bool))
    with pytest.raises(ValueError, match="query_len"):
        build_attention_mask(None, causal=True)


def test_apply_attention_mask_is_finite_for_every_dtype():
    keep = np.array([[True, False, True]])
    for dtype in ("float32", "float16", "bfloat16"):
        scores = keras.ops.ones((1, 3), dtype=dtype)
        out = _np(keras.ops.cast(apply_attention_mask(scores, keep), "float32"))
        assert np.all(np.isfinite(out))
        assert out[0, 0] == 1.0 and out[0, 2] == 1.0
        assert out[0, 1] == pytest.approx(mask_value(dtype), rel=1e-2)
        assert out[0, 1] < -1e3
    assert mask_value("float16") > -65504 and mask_value("float32") == -1e9
    scores = keras.ops.ones((1, 3))
    assert apply_attention_mask(scores, None) is scores


# ------------------------------------------------------------------- numeric references


def test_multi_head_matches_numpy_reference():
    x = _inputs()
    layer = MultiHeadAttention(dim=DIM, num_heads=HEADS, use_bias=True,
                               bias_initializer="random_normal")
    out = _np(layer(x))
    assert out.shape == (BATCH, SEQ, DIM)
    np.testing.assert_allclose(out, _reference_attention(layer, x), atol=ATOL, rtol=ATOL)


def test_multi_head_explicit_head_dim_and_output_dim():
    x = _inputs()
    layer = MultiHeadAttention(dim=12, num_heads=3, head_dim=5)
    out = _np(layer(x))
    assert out.shape == (BATCH, SEQ, 12)
    assert layer.query_proj.kernel.shape == (DIM, 15)
    np.testing.assert_allclose(out, _reference_attention(layer, x), atol=ATOL, rtol=ATOL)


def test_multi_head_full_and_per_head_masks_match_numpy():
    x = _inputs()
    rng = np.random.default_rng(1)
    full = rng.random((BATCH, SEQ, SEQ)) > 0.3
    full[..., 0] = True  # every query keeps at least one key
    layer = MultiHeadAttention(dim=DIM, num_heads=HEADS)
    out = _np(layer(x, mask=full))
    np.testing.assert_allclose(out, _reference_attention(layer, x, keep=full[:, None]), atol=ATOL)
    per_head = rng.random((BATCH, HEADS, SEQ, SEQ)) > 0.3
    per_head[..., 0] = True
    out = _np(layer(x, mask=per_head.astype("float32")))
    np.testing.assert_allclose(out, _reference_attention(layer, x, keep=per_head), atol=ATOL)


def test_cross_attention_matches_numpy_with_other_context_shape():
    x = _inputs()
    context = _inputs((BATCH, 4, 10), seed=3)
    layer = MultiHeadCrossAttention(dim=DIM, num_heads=HEADS)
    out = _np(layer(x, context=context))
    assert out.shape == (BATCH, SEQ, DIM)
    assert layer.key_proj.kernel.shape == (10, DIM)
    np.testing.assert_allclose(out, _reference_attention(layer, x, context=context), atol=ATOL)
    keep = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)
    out = _np(layer(x, context=context, mask=keep))
    ref = _reference_attention(layer, x, context=context, keep=keep[:, None, None, :])
    np.testing.assert_allclose(out, ref, atol=ATOL)


def test_cross_attention_without_context_is_self_attention():
    x = _inputs()
    layer = MultiHeadCrossAttention(dim=DIM, num_heads=HEADS)
    np.testing.assert_allclose(_np(layer(x)), _reference_attention(layer, x), atol=ATOL)


def test_grouped_query_matches_numpy_reference():
    x = _inputs()
    layer = GroupedQueryAttention(dim=DIM, num_heads=HEADS, num_kv_heads=2)
    out = _np(layer(x))
    assert layer.key_proj.kernel.shape == (DIM, 2 * (DIM // HEADS))
    np.testing.assert_allclose(out, _reference_attention(layer, x, kv_heads=2), atol=ATOL)


def test_grouped_query_with_all_kv_heads_equals_multi_head():
    x = _inputs()
    mha = MultiHeadAttention(dim=DIM, num_heads=HEADS, use_bias=True, causal=True)
    gqa = GroupedQueryAttention(dim=DIM, num_heads=HEADS, num_kv_heads=HEADS, use_bias=True,
                                causal=True)
    mha(x)
    _copy_weights(mha, gqa, x)
    np.testing.assert_allclose(_np(gqa(x)), _np(mha(x)), atol=1e-6, rtol=1e-6)


def test_alibi_slopes_follow_the_formula():
    np.testing.assert_allclose(get_alibi_slopes(8), [2.0 ** -(k + 1) for k in range(8)])
    np.testing.assert_allclose(get_alibi_slopes(4), [2.0 ** (-2 * (k + 1)) for k in range(4)])
    # 12 heads: the 8 slopes of 8 heads, then the odd-indexed slopes of 16 heads.
    expected = [2.0 ** -(k + 1) for k in range(8)] + [2.0 ** -(0.5 + k) for k in range(4)]
    np.testing.assert_allclose(get_alibi_slopes(12), expected)
    np.testing.assert_allclose(get_alibi_slopes(1), [2.0 ** -8])
    with pytest.raises(ValueError):
        get_alibi_slopes(0)


@pytest.mark.parametrize("causal", [False, True])
def test_alibi_matches_numpy_reference(causal):
    x = _inputs()
    layer = ALiBiAttention(dim=DIM, num_heads=HEADS, causal=causal)
    out = _np(layer(x))
    slopes = np.asarray(get_alibi_slopes(HEADS))
    pos = np.arange(SEQ)
    bias = -slopes[None, :, None, None] * np.abs(pos[:, None] - pos[None, :])[None, None]
    keep = np.tril(np.ones((SEQ, SEQ), dtype=bool))[None, None] if causal else None
    np.testing.assert_allclose(out, _reference_attention(layer, x, keep=keep, bias=bias), atol=ATOL)


def test_window_covering_the_sequence_equals_global_attention():
    x = _inputs()
    mha = MultiHeadAttention(dim=DIM, num_heads=HEADS)
    mha(x)
    for window_size in (SEQ, SEQ + 3):
        window = WindowAttention(dim=DIM, num_heads=HEADS, window_size=window_size)
        _copy_weights(mha, window, x)
        np.testing.assert_allclose(_np(window(x)), _np(mha(x)), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("window_size", [2, 4])
def test_window_attention_is_block_diagonal_global_attention(window_size):
    # SEQ=6 with window 4 needs padding of the last window.
    x = _inputs()
    blocks = (np.arange(SEQ)[:, None] // window_size) == (np.arange(SEQ)[None, :] // window_size)
    mha = MultiHeadAttention(dim=DIM, num_heads=HEADS, causal=True)
    mha(x)
    window = WindowAttention(dim=DIM, num_heads=HEADS, window_size=window_size, causal=True)
    _copy_weights(mha, window, x)
    full = np.broadcast_to(blocks, (BATCH, SEQ, SEQ))
    np.testing.assert_allclose(_np(window(x)), _np(mha(x, mask=full)), atol=1e-6)

    # A padding mask and a full mask restricted to the windows give the same as global.
    pad = np.ones((BATCH, SEQ), dtype=bool)
    pad[1, -1] = False
    pad[0, 1] = False
    expected = _np(mha(x, mask=blocks[None] & pad[:, None, :]))
    np.testing.assert_allclose(_np(window(x, mask=pad)), expected, atol=1e-6)
    rng = np.random.default_rng(2)
    custom = rng.random((BATCH, SEQ, SEQ)) > 0.4
    custom[..., np.arange(SEQ), np.arange(SEQ)] = True
    expected = _np(mha(x, mask=custom & blocks[None]))
    np.testing.assert_allclose(_np(window(x, mask=custom)), expected, atol=1e-6)


def test_linear_attention_matches_numpy_reference():
    x = _inputs()
    for causal in (False, True):
        layer = LinearAttention(dim=DIM, num_heads=HEADS, causal=causal)
        out = _np(layer(x))

        def phi(t):
            return np.where(t > 0, t + 1.0, np.exp(t))

        q = phi(_heads(_dense(layer.query_proj, x), HEADS))
        k = phi(_heads(_dense(layer.key_proj, x), HEADS))
        v = _heads(_dense(layer.value_proj, x), HEADS)
        weights = q @ k.transpose(0, 1, 3, 2)
        if causal:
            weights = weights * np.tril(np.ones((SEQ, SEQ)))
        ctx = (weights @ v) / (weights.sum(-1, keepdims=True) + layer.epsilon)
        np.testing.assert_allclose(out, _dense(layer.output_proj, _merge(ctx)), atol=ATOL)


def test_linear_attention_rejects_full_masks():
    layer = LinearAttention(dim=DIM, num_heads=HEADS)
    with pytest.raises(ValueError, match="padding masks"):
        layer(_inputs(), mask=np.ones((BATCH, SEQ, SEQ), dtype=bool))


def test_differential_attention_matches_numpy_reference():
    x = _inputs()
    layer = DifferentialAttention(dim=DIM, num_heads=2, causal=True, depth=3)
    out = _np(layer(x))
    assert layer.lambda_init_value == pytest.approx(0.8 - 0.6 * np.exp(-0.9))
    half = layer.half_dim
    q = _heads(_dense(layer.query_proj, x), 4)
    k = _heads(_dense(layer.key_proj, x), 4)
    v = _heads(_dense(layer.value_proj, x), 2)
    keep = np.tril(np.ones((SEQ, SEQ), dtype=bool))
    scores = np.where(keep, q @ k.transpose(0, 1, 3, 2) / np.sqrt(half), -1e9)
    probs = _softmax(scores)
    lq1, lk1, lq2, lk2 = (_np(w) for w in (layer.lambda_q1, layer.lambda_k1,
                                          layer.lambda_q2, layer.lambda_k2))
    lam = np.exp(lq1 @ lk1) - np.exp(lq2 @ lk2) + layer.lambda_init_value
    ctx = (probs[:, 0::2] - lam * probs[:, 1::2]) @ v
    scale = _np(layer.sub_norm.weights[0])
    ctx = ctx / np.sqrt((ctx ** 2).mean(-1, keepdims=True) + 1e-5) * scale
    ctx = ctx * (1.0 - layer.lambda_init_value)
    np.testing.assert_allclose(out, _dense(layer.output_proj, _merge(ctx)), atol=ATOL)


def test_differential_attention_needs_even_head_dim():
    with pytest.raises(ValueError, match="even head_dim"):
        DifferentialAttention(dim=12, num_heads=4)


def test_probability_type_reaches_the_score_activation():
    x = _inputs()
    layer = MultiHeadAttention(dim=DIM, num_heads=HEADS, probability_type="sparsemax",
                               probability_config={"axis": -1})
    assert layer.score_activation.probability_type == "sparsemax"
    assert np.all(np.isfinite(_np(layer(x))))
    with pytest.raises(ValueError):
        MultiHeadAttention(dim=DIM, num_heads=HEADS, probability_type="nope")


def test_rope_changes_scores_but_keeps_shapes():
    x = _inputs()
    plain = MultiHeadAttention(dim=DIM, num_heads=HEADS)
    rotary = MultiHeadAttention(dim=DIM, num_heads=HEADS, use_rope=True, max_seq_len=16)
    plain(x)
    rotary(x)
    rotary.query_proj.set_weights(plain.query_proj.get_weights())
    rotary.key_proj.set_weights(plain.key_proj.get_weights())
    rotary.value_proj.set_weights(plain.value_proj.get_weights())
    rotary.output_proj.set_weights(plain.output_proj.get_weights())
    assert _np(rotary(x)).shape == (BATCH, SEQ, DIM)
    assert not np.allclose(_np(rotary(x)), _np(plain(x)), atol=1e-4)


# ---------------------------------------------------------- causal and padding masks


def _self_attention_kwargs(attention_type):
    kwargs = {"dim": DIM, "num_heads": HEADS}
    if attention_type == "group_query":
        kwargs["num_kv_heads"] = 2
    if attention_type == "window":
        kwargs["window_size"] = 4
    return kwargs


_CAUSAL_TYPES = ["multi_head", "group_query", "window", "linear", "differential", "alibi"]


@pytest.mark.parametrize("attention_type", _CAUSAL_TYPES)
def test_causal_mask_blocks_the_future(attention_type):
    layer = create_attention_layer(attention_type, causal=True,
                                   **_self_attention_kwargs(attention_type))
    x = _inputs()
    base = _np(layer(x))
    for t in (0, 2, 4):
        changed = x.copy()
        changed[:, t + 1:] = _inputs(seed=t + 10)[:, t + 1:]
        out = _np(layer(changed))
        np.testing.assert_allclose(out[:, : t + 1], base[:, : t + 1], atol=1e-5)
        assert not np.allclose(out[:, t + 1:], base[:, t + 1:], atol=1e-4)


@pytest.mark.parametrize("attention_type", sorted(set(list_attention_types()) - {"multi_head_cross"}))
def test_padding_mask_ignores_padded_keys(attention_type):
    layer = create_attention_layer(attention_type, **_self_attention_kwargs(attention_type))
    x = _inputs()
    pad = np.ones((BATCH, SEQ), dtype="int32")
    pad[0, 4:] = 0
    pad[1, 1] = 0
    base = _np(layer(x, mask=pad))
    changed = x + (1 - pad)[..., None] * 5.0 * _inputs(seed=7)
    out = _np(layer(changed, mask=pad))
    keep = pad.astype(bool)
    np.testing.assert_allclose(out[keep], base[keep], atol=1e-5)
    # Without the mask the padded tokens do influence the others.
    assert not np.allclose(_np(layer(changed))[keep], _np(layer(x))[keep], atol=1e-4)


def test_cross_attention_padding_mask_ignores_padded_context():
    layer = MultiHeadCrossAttention(dim=DIM, num_heads=HEADS)
    x, context = _inputs(), _inputs((BATCH, 5, 8), seed=4)
    pad = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], dtype=bool)
    base = _np(layer(x, context=context, mask=pad))
    changed = context + (~pad)[..., None] * 3.0
    np.testing.assert_allclose(_np(layer(x, context=changed, mask=pad)), base, atol=1e-5)


def test_keras_mask_from_embedding_reaches_the_attention():
    tokens = keras.Input(shape=(SEQ,), dtype="int32")
    embedding = keras.layers.Embedding(20, DIM, mask_zero=True)
    attention = MultiHeadAttention(dim=DIM, num_heads=HEADS)
    model = keras.Model(tokens, attention(embedding(tokens)))
    ids = np.array([[3, 4, 5, 0, 0, 0], [1, 2, 3, 4, 5, 6]], dtype="int32")
    out = model.predict(ids, verbose=0)
    embedded = _np(embedding(ids))  # plain array: no Keras mask attached
    np.testing.assert_allclose(out, _np(attention(embedded, mask=ids != 0)), atol=1e-5)
    assert not np.allclose(out[0], _np(attention(embedded))[0], atol=1e-4)


# ------------------------------------------------------------------------- factory


def test_registry_literal_and_type_literal_agree():
    assert list(typing.get_args(AttentionType)) == list_attention_types()
    assert set(attention_factory._ATTENTION_LAYER_REGISTRY) == set(attention_factory._ATTENTION_PARAMS)
    assert list_attention_types() == [
        "multi_head", "multi_head_cross", "group_query", "window", "linear", "differential", "alibi",
    ]


@pytest.mark.parametrize("attention_type", list_attention_types())
def test_registry_matches_class_signature(attention_type):
    info = get_attention_info(attention_type)
    assert set(info) == {"class", "required", "optional", "description"}
    assert info["class"] is attention_factory._ATTENTION_LAYER_REGISTRY[attention_type]
    params = inspect.signature(info["class"].__init__).parameters
    explicit = {n: p for n, p in params.items() if n not in ("self", "kwargs")}
    required = [n for n, p in explicit.items() if p.default is inspect.Parameter.empty]
    optional = {n: p.default for n, p in explicit.items() if p.default is not inspect.Parameter.empty}
    assert info["required"] == required
    assert info["optional"] == optional
    assert info["description"]


def test_get_attention_info_returns_copies():
    info = get_attention_info()
    assert set(info) == set(list_attention_types())
    info["multi_head"]["optional"]["dropout_rate"] = 0.5
    info["multi_head"]["required"].append("x")
    assert get_attention_info("multi_head")["optional"]["dropout_rate"] == 0.0
    assert get_attention_info("multi_head")["required"] == ["dim", "num_heads"]


def test_factory_creates_the_registered_classes_with_name():
    layer = create_attention_layer("group_query", name="gqa", dim=DIM, num_heads=4, num_kv_heads=1,
                                   causal=True)
    assert isinstance(layer, GroupedQueryAttention)
    assert layer.name == "gqa" and layer.num_kv_heads == 1 and layer.causal
    assert isinstance(create_attention_layer("alibi", dim=8, num_heads=2), ALiBiAttention)


def test_create_attention_accepts_num_heads_and_head_dim():
    layer = create_attention(attention_type="window", num_heads=2, head_dim=4, window_size=3)
    assert isinstance(layer, WindowAttention)
    assert (layer.dim, layer.num_heads, layer.head_dim, layer.window_size) == (8, 2, 4, 3)
    assert _np(layer(_inputs((1, 5, 8)))).shape == (1, 5, 8)
    default = create_attention(num_heads=2, head_dim=4)
    assert isinstance(default, MultiHeadAttention) and default.dim == 8
    explicit = create_attention("multi_head", dim=12, num_heads=2, head_dim=4)
    assert explicit.dim == 12


@pytest.mark.parametrize(
    "attention_type, kwargs, message",
    [
        ("multi_headed", {"dim": 8, "num_heads": 2}, "Unknown attention type.*Did you mean 'multi_head'"),
        ("multi_head", {"num_heads": 2}, "missing required.*dim"),
        ("group_query", {"dim": 8, "num_heads": 2}, "missing required.*num_kv_heads"),
        ("window", {"dim": 8, "num_heads": 2}, "missing required.*window_size"),
        ("multi_head", {"dim": 8, "num_heads": 2, "heads": 3}, "Unknown parameter.*heads.*Valid parameters: dim, num_heads"),
        ("linear", {"dim": 8, "num_heads": 2, "probability_type": "softmax"}, "Unknown parameter.*probability_type"),
        ("multi_head", {"dim": 10, "num_heads": 3}, "divisible by num_heads"),
        ("group_query", {"dim": 12, "num_heads": 6, "num_kv_heads": 4}, "divisible by num_kv_heads"),
        ("multi_head", {"dim": 8, "num_heads": 2, "dropout_rate": 1.5}, "dropout_rate"),
        ("window", {"dim": 8, "num_heads": 2, "window_size": 0}, "window_size"),
    ],
)
def test_factory_rejects_bad_configurations(attention_type, kwargs, message):
    with pytest.raises(ValueError, match=message):
        validate_attention_config(attention_type, **kwargs)
    with pytest.raises(ValueError, match=message):
        create_attention_layer(attention_type, **kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MultiHeadAttention(dim=10, num_heads=3),
        lambda: GroupedQueryAttention(dim=12, num_heads=6, num_kv_heads=4),
        lambda: GroupedQueryAttention(dim=12, num_heads=5, num_kv_heads=1),
        lambda: WindowAttention(dim=8, num_heads=2, window_size=-1),
        lambda: LinearAttention(dim=8, num_heads=0),
        lambda: ALiBiAttention(dim=8, num_heads=2, dropout_rate=-0.1),
        lambda: MultiHeadCrossAttention(dim=8, num_heads=2, head_dim=0),
    ],
)
def test_constructors_validate(make):
    with pytest.raises(ValueError):
        make()


def test_non_sequence_inputs_are_rejected():
    layer = MultiHeadAttention(dim=8, num_heads=2)
    with pytest.raises(ValueError, match="seq_len"):
        layer.build((2, 4, 4, 8))


# ---------------------------------------------------------------------- round trips


def _mask_input(shape, seed=0):
    rng = np.random.default_rng(seed)
    mask = (rng.random(shape) > 0.3).astype("float32")
    mask[..., 0] = 1.0
    return mask


ROUNDTRIP_CASES = {
    "multi_head": dict(
        make=lambda: MultiHeadAttention(dim=DIM, num_heads=HEADS, use_bias=True, causal=True,
                                        use_rope=True, max_seq_len=32,
                                        kernel_regularizer="l2"),
        inputs=[_inputs(), _mask_input((BATCH, SEQ))],
        call=lambda layer, xs: layer(xs[0], mask=xs[1]),
    ),
    "multi_head_cross": dict(
        make=lambda: MultiHeadCrossAttention(dim=DIM, num_heads=HEADS, dropout_rate=0.1),
        inputs=[_inputs(), _inputs((BATCH, 4, 10), seed=1), _mask_input((BATCH, 4))],
        call=lambda layer, xs: layer(xs[0], context=xs[1], mask=xs[2]),
    ),
    "group_query": dict(
        make=lambda: GroupedQueryAttention(dim=DIM, num_heads=HEADS, num_kv_heads=2,
                                           use_rope=True, max_seq_len=16,
                                           probability_type="sparsemax"),
        inputs=[_inputs()],
        call=None,
    ),
    "window": dict(
        make=lambda: WindowAttention(dim=DIM, num_heads=HEADS, window_size=4, causal=True),
        inputs=[_inputs(), _mask_input((BATCH, SEQ, SEQ))],
        call=lambda layer, xs: layer(xs[0], mask=xs[1]),
    ),
    "linear": dict(
        make=lambda: LinearAttention(dim=DIM, num_heads=HEADS, causal=True, use_bias=True),
        inputs=[_inputs()],
        call=None,
    ),
    "differential": dict(
        make=lambda: DifferentialAttention(dim=DIM, num_heads=2, use_rope=True, max_seq_len=16,
                                           lambda_init=0.5),
        inputs=[_inputs()],
        call=None,
    ),
    "alibi": dict(
        make=lambda: ALiBiAttention(dim=DIM, num_heads=HEADS, causal=True,
                                    probability_type="threshmax"),
        inputs=[_inputs()],
        call=None,
    ),
}


def test_roundtrip_cases_cover_the_registry():
    assert set(ROUNDTRIP_CASES) == set(list_attention_types())


@pytest.mark.parametrize("attention_type", list_attention_types())
def test_roundtrip(attention_type, tmp_path):
    case = ROUNDTRIP_CASES[attention_type]
    assert isinstance(case["make"](), get_attention_info(attention_type)["class"])
    assert_roundtrip(case["make"], case["inputs"], tmp_path, call=case["call"])


def test_factory_roundtrip_with_defaults(tmp_path):
    assert_roundtrip(lambda: create_attention_layer("window", dim=DIM, num_heads=HEADS, window_size=5),
                     [_inputs((BATCH, 7, DIM))], tmp_path)
