"""Tests of ``dl_techniques.models``: MLP, transformer models and the mini-vec2vec aligner."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

from dl_techniques.layers.attention import MultiHeadAttention, MultiHeadCrossAttention
from dl_techniques.layers.embedding import PositionEmbedding, SinusoidalPositionEmbedding
from dl_techniques.layers.transformers import TransformerLayer
from dl_techniques.models import (
    EncoderDecoderTransformer,
    FeedForwardNetwork,
    MiniVec2VecAligner,
    TransformerClassifier,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
)
from dl_techniques.models.mini_vec2vec import linear_assignment, procrustes
from dl_techniques.optimization import learning_rate_schedule_builder, optimizer_builder
from tests.framework.roundtrip import assert_roundtrip

VOCAB, DIM, HEADS, BATCH, SRC_LEN, TGT_LEN = 11, 8, 2, 2, 5, 4
TOL = 1e-6


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _ids(shape, seed=0, high=VOCAB):
    return np.random.default_rng(seed).integers(1, high, size=shape).astype("int32")


def _floats(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _layer_norm(x, layer):
    gamma, beta = (_np(w) for w in layer.weights)
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + layer.epsilon) * gamma + beta


def _random_orthogonal(dim, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


# --------------------------------------------------------------------------- FeedForwardNetwork


def test_feed_forward_matches_numpy_reference_with_norm_and_residual():
    x = _floats((3, 6))
    model = FeedForwardNetwork([8, 8], 3, activation="relu", normalization_type="layer_norm", use_residual=True)
    out = _np(model(x))
    assert out.shape == (3, 3)
    # Block 0 changes the width (6 -> 8): no shortcut; block 1 keeps it: identity shortcut.
    assert model._block_residual == (False, True)
    for norm in model.norm_layers:  # non-trivial norm parameters
        norm.set_weights([w + _floats(w.shape, seed=7) for w in norm.get_weights()])
    out = _np(model(x))
    h = x
    for index, dense in enumerate(model.hidden_layers):
        kernel, bias = (_np(w) for w in dense.weights)
        block = np.maximum(_layer_norm(h @ kernel + bias, model.norm_layers[index]), 0.0)
        h = h + block if index == 1 else block
    kernel, bias = (_np(w) for w in model.output_layer.weights)
    np.testing.assert_allclose(out, h @ kernel + bias, atol=1e-5, rtol=1e-5)


def test_feed_forward_without_norm_is_a_plain_dense_stack():
    x = _floats((4, 5))
    model = FeedForwardNetwork([7], 2, activation="tanh")
    out = _np(model(x))
    assert model.norm_layers == [] and model._block_residual == (False,)
    (k1, b1), (k2, b2) = ([_np(w) for w in layer.weights] for layer in (model.hidden_layers[0], model.output_layer))
    np.testing.assert_allclose(out, np.tanh(x @ k1 + b1) @ k2 + b2, atol=1e-5, rtol=1e-5)
    assert model.compute_output_shape((None, 5)) == (None, 2)


def test_feed_forward_dropout_only_in_training():
    x = np.ones((64, 4), dtype="float32")
    model = FeedForwardNetwork([32], 32, dropout_rate=0.5)
    np.testing.assert_allclose(_np(model(x)), _np(model(x, training=False)), atol=TOL)
    assert not np.allclose(_np(model(x, training=True)), _np(model(x)), atol=1e-3)


# --------------------------------------------------------------------------- TransformerEncoder


@pytest.mark.parametrize(
    "positional, expected",
    [("sinusoidal", SinusoidalPositionEmbedding), ("learned", PositionEmbedding), ("none", type(None))],
)
def test_encoder_shapes_and_components(positional, expected):
    model = TransformerEncoder(VOCAB, DIM, HEADS, num_layers=2, max_seq_len=8, positional=positional)
    out = _np(model(_ids((BATCH, SRC_LEN))))
    assert out.shape == (BATCH, SRC_LEN, DIM)
    assert isinstance(model.positional_embedding, expected)
    assert len(model.blocks) == 2 and all(isinstance(b, TransformerLayer) for b in model.blocks)
    assert model.blocks[0].intermediate_size == 4 * DIM  # default FFN width
    assert model.compute_output_shape((None, SRC_LEN)) == (None, SRC_LEN, DIM)


def test_encoder_matches_manual_composition():
    ids = _ids((BATCH, SRC_LEN))
    model = TransformerEncoder(VOCAB, DIM, HEADS, num_layers=2, intermediate_size=12, max_seq_len=8)
    out = _np(model(ids))
    x = _np(model.positional_embedding(model.token_embedding(ids)))
    for block in model.blocks:
        x = _np(block(x))
    np.testing.assert_allclose(out, _layer_norm(x, model.final_norm), atol=1e-5, rtol=1e-5)
    assert model.blocks[0].intermediate_size == 12


def test_encoder_sinusoidal_positions_make_order_matter_and_none_does_not():
    ids = _ids((1, SRC_LEN))
    reversed_ids = ids[:, ::-1]
    with_pos = TransformerEncoder(VOCAB, DIM, HEADS, 1, max_seq_len=8)
    without = TransformerEncoder(VOCAB, DIM, HEADS, 1, max_seq_len=8, positional="none")
    # Without positions self-attention is permutation-equivariant.
    np.testing.assert_allclose(_np(without(reversed_ids))[:, ::-1], _np(without(ids)), atol=1e-5)
    assert not np.allclose(_np(with_pos(reversed_ids))[:, ::-1], _np(with_pos(ids)), atol=1e-3)


def test_encoder_padding_mask_hides_padded_positions():
    ids = _ids((BATCH, SRC_LEN))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], dtype="bool")
    changed = ids.copy()
    changed[~mask] = (changed[~mask] % (VOCAB - 1)) + 1
    changed[0, 4] = 3 if ids[0, 4] != 3 else 4
    model = TransformerEncoder(VOCAB, DIM, HEADS, 2, max_seq_len=8)
    a = _np(model(ids, mask=mask))
    b = _np(model(changed, mask=mask))
    np.testing.assert_allclose(a[mask], b[mask], atol=1e-5)
    assert not np.allclose(_np(model(ids)), _np(model(changed)), atol=1e-3)


def test_encoder_rejects_sequences_longer_than_max_seq_len():
    model = TransformerEncoder(VOCAB, DIM, HEADS, 1, max_seq_len=4)
    with pytest.raises(ValueError, match="max_seq_len"):
        model(_ids((BATCH, 6)))


# --------------------------------------------------------------------------- decoder


def test_decoder_layer_components_and_shape():
    layer = TransformerDecoderLayer(DIM, HEADS, intermediate_size=16)
    out = _np(layer(_floats((BATCH, TGT_LEN, DIM)), _floats((BATCH, SRC_LEN, 6), seed=1)))
    assert out.shape == (BATCH, TGT_LEN, DIM)
    assert isinstance(layer.self_attention, MultiHeadAttention) and layer.self_attention.causal
    assert isinstance(layer.cross_attention, MultiHeadCrossAttention)
    assert layer.compute_output_shape((None, TGT_LEN, DIM), (None, SRC_LEN, 6)) == (None, TGT_LEN, DIM)


@pytest.mark.parametrize("position", ["pre", "post"])
def test_decoder_layer_wiring_matches_manual(position):
    x, context = _floats((BATCH, TGT_LEN, DIM)), _floats((BATCH, SRC_LEN, DIM), seed=1)
    layer = TransformerDecoderLayer(DIM, HEADS, 16, normalization_position=position)
    layer(x, context)
    norms = (layer.self_attention_norm, layer.cross_attention_norm, layer.ffn_norm)
    for norm in norms:
        norm.set_weights([w + _floats(w.shape, seed=3) for w in norm.get_weights()])
    out = _np(layer(x, context))
    branches = (
        lambda h: _np(layer.self_attention(h)),
        lambda h: _np(layer.cross_attention(h, context=context)),
        lambda h: _np(layer.ffn(h)),
    )
    h = x
    for norm, branch in zip(norms, branches):
        if position == "pre":
            h = h + branch(_layer_norm(h, norm))
        else:
            h = _layer_norm(h + branch(h), norm)
    np.testing.assert_allclose(out, h, atol=1e-5, rtol=1e-5)


def test_decoder_layer_context_mask_hides_encoder_positions():
    x, context = _floats((BATCH, TGT_LEN, DIM)), _floats((BATCH, SRC_LEN, DIM), seed=1)
    context_mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], dtype="bool")
    changed = context.copy()
    changed[~context_mask] += 5.0
    layer = TransformerDecoderLayer(DIM, HEADS, 16)
    a = _np(layer(x, context, context_mask=context_mask))
    np.testing.assert_allclose(a, _np(layer(x, changed, context_mask=context_mask)), atol=1e-5)
    assert not np.allclose(a, _np(layer(x, changed)), atol=1e-3)


def test_decoder_is_causal_and_reads_the_encoder_output():
    targets = _ids((BATCH, TGT_LEN))
    context = _floats((BATCH, SRC_LEN, DIM))
    model = TransformerDecoder(VOCAB, DIM, HEADS, num_layers=2, max_seq_len=8)
    logits = _np(model([targets, context]))
    assert logits.shape == (BATCH, TGT_LEN, VOCAB)
    changed = targets.copy()
    changed[:, 2:] = (changed[:, 2:] % (VOCAB - 1)) + 1
    new = _np(model([changed, context]))
    np.testing.assert_allclose(new[:, :2], logits[:, :2], atol=1e-5)
    assert not np.allclose(new[:, 2:], logits[:, 2:], atol=1e-3)
    assert not np.allclose(_np(model([targets, context + 1.0])), logits, atol=1e-3)


def test_decoder_without_token_embedding_takes_embedded_targets():
    model = TransformerDecoder(VOCAB, DIM, HEADS, 1, max_seq_len=8, use_token_embedding=False)
    out = _np(model([_floats((BATCH, TGT_LEN, DIM)), _floats((BATCH, SRC_LEN, DIM), seed=1)]))
    assert out.shape == (BATCH, TGT_LEN, VOCAB) and model.token_embedding is None
    with pytest.raises(ValueError, match="embeddings"):
        TransformerDecoder(VOCAB, DIM, HEADS, 1, use_token_embedding=False)(
            [_ids((BATCH, TGT_LEN)), _floats((BATCH, SRC_LEN, DIM))]
        )


# --------------------------------------------------------------------------- EncoderDecoderTransformer


@pytest.mark.parametrize("share", [False, True])
def test_encoder_decoder_shapes_and_causality(share):
    src, tgt = _ids((BATCH, SRC_LEN)), _ids((BATCH, TGT_LEN), seed=1)
    model = EncoderDecoderTransformer(
        VOCAB, VOCAB if share else 13, DIM, HEADS, 1, 2, max_seq_len=8, share_embeddings=share
    )
    logits = _np(model([src, tgt]))
    assert logits.shape == (BATCH, TGT_LEN, VOCAB if share else 13)
    changed = tgt.copy()
    changed[:, -1] = (changed[:, -1] % (VOCAB - 1)) + 1
    new = _np(model([src, changed]))
    np.testing.assert_allclose(new[:, :-1], logits[:, :-1], atol=1e-5)
    assert not np.allclose(new[:, -1], logits[:, -1], atol=1e-3)
    # The logits equal decode(encode(src)).
    np.testing.assert_allclose(_np(model.decode(tgt, model.encode(src))), logits, atol=1e-5)


def test_encoder_decoder_share_embeddings_uses_one_table():
    src, tgt = _ids((BATCH, SRC_LEN)), _ids((BATCH, TGT_LEN), seed=1)
    shared = EncoderDecoderTransformer(VOCAB, VOCAB, DIM, HEADS, 1, 1, max_seq_len=8, share_embeddings=True)
    separate = EncoderDecoderTransformer(VOCAB, VOCAB, DIM, HEADS, 1, 1, max_seq_len=8)
    shared([src, tgt])
    separate([src, tgt])
    assert shared.decoder.token_embedding is None
    assert shared.count_params() == separate.count_params() - VOCAB * DIM
    # Changing the (shared) encoder table changes the decoder side too, even with a fixed
    # encoder output.
    encoder_output = shared.encode(src)
    before = _np(shared.decode(tgt, encoder_output))
    table = shared.encoder.token_embedding.embedding.embeddings
    # (A random change: a constant shift would be removed by the layer norms.)
    table.assign(_np(table) + _floats(tuple(table.shape), seed=5))
    assert not np.allclose(_np(shared.decode(tgt, encoder_output)), before, atol=1e-3)


# --------------------------------------------------------------------------- TransformerClassifier


def test_classifier_mean_pooling_respects_the_mask():
    ids = _ids((BATCH, SRC_LEN))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype="bool")
    model = TransformerClassifier(VOCAB, 3, DIM, HEADS, 1, max_seq_len=8)
    logits = _np(model(ids, mask=mask))
    hidden = _np(model.encoder(ids, mask=mask))
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    kernel, bias = (_np(w) for w in model.classifier.weights)
    np.testing.assert_allclose(logits, pooled @ kernel + bias, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(_np(model(ids)), _hidden_mean_logits(model, ids), atol=1e-5, rtol=1e-5)


def _hidden_mean_logits(model, ids):
    """Reference: unmasked mean pooling followed by the linear head."""
    kernel, bias = (_np(w) for w in model.classifier.weights)
    return _np(model.encoder(ids)).mean(1) @ kernel + bias


def test_classifier_cls_pooling_uses_the_first_position():
    ids = _ids((BATCH, SRC_LEN))
    model = TransformerClassifier(VOCAB, 3, DIM, HEADS, 1, max_seq_len=8, pooling="cls")
    logits = _np(model(ids))
    kernel, bias = (_np(w) for w in model.classifier.weights)
    np.testing.assert_allclose(logits, _np(model.encoder(ids))[:, 0] @ kernel + bias, atol=1e-5, rtol=1e-5)


def test_classifier_probabilities_are_softmax_of_the_logits():
    ids = _ids((BATCH, SRC_LEN))
    logits_model = TransformerClassifier(VOCAB, 3, DIM, HEADS, 1, max_seq_len=8)
    prob_model = TransformerClassifier(VOCAB, 3, DIM, HEADS, 1, max_seq_len=8, output_probabilities=True)
    logits = _np(logits_model(ids))
    prob_model(ids)
    prob_model.set_weights(logits_model.get_weights())
    probs = _np(prob_model(ids))
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(probs, expected, atol=1e-6, rtol=1e-5)
    assert logits_model.probability_output is None


# --------------------------------------------------------------------------- training


def test_training_with_optimization_builders_reduces_the_loss():
    ids = _ids((8, SRC_LEN), seed=3)
    labels = (ids[:, 0] % 3).astype("int32")
    model = TransformerClassifier(VOCAB, 3, DIM, HEADS, 1, max_seq_len=8, normalization_type="rms_norm")
    schedule = learning_rate_schedule_builder(
        {"type": "cosine_decay", "learning_rate": 0.01, "decay_steps": 100, "alpha": 0.1,
         "warmup_steps": 2, "warmup_start_lr": 1e-4}
    )
    optimizer = optimizer_builder(
        {"type": "adamw", "weight_decay": 0.01, "gradient_clipping_by_norm": 1.0}, schedule
    )
    # Eager steps: tracing a graph costs more than these tiny steps (the round-trip tests
    # below already train every model once in graph mode).
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  run_eagerly=True)
    first = float(model.train_on_batch(ids, labels))
    for _ in range(7):
        last = float(model.train_on_batch(ids, labels))
    assert np.isfinite(first) and last < first


def test_seq2seq_training_step_updates_weights():
    src, tgt = _ids((BATCH, SRC_LEN)), _ids((BATCH, TGT_LEN), seed=1)
    model = EncoderDecoderTransformer(VOCAB, VOCAB, DIM, HEADS, 1, 1, max_seq_len=8, share_embeddings=True)
    model([src, tgt])
    before = [_np(w).copy() for w in model.trainable_weights]
    model.compile(
        optimizer=optimizer_builder({"type": "adam", "learning_rate": 1e-2}),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        run_eagerly=True,
    )
    loss = float(model.train_on_batch([src, tgt], np.roll(tgt, -1, axis=1)))
    assert np.isfinite(loss)
    changed = [not np.allclose(b, _np(w)) for b, w in zip(before, model.trainable_weights)]
    assert all(changed)  # every weight (incl. the shared embedding) receives a gradient


# --------------------------------------------------------------------------- round trips

MODEL_CASES = {
    "feed_forward": (
        lambda: FeedForwardNetwork([8, 8], 3, normalization_type="rms_norm", use_residual=True, dropout_rate=0.1),
        lambda: [_floats((BATCH, 6))],
    ),
    "encoder_learned": (
        lambda: TransformerEncoder(VOCAB, DIM, HEADS, 2, intermediate_size=12, max_seq_len=8, positional="learned",
                                   ffn_type="swiglu", normalization_position="post"),
        lambda: [_ids((BATCH, SRC_LEN))],
    ),
    "decoder": (
        lambda: TransformerDecoder(VOCAB, DIM, HEADS, 1, max_seq_len=8),
        lambda: [_ids((BATCH, TGT_LEN)), _floats((BATCH, SRC_LEN, DIM))],
    ),
    "encoder_decoder": (
        lambda: EncoderDecoderTransformer(VOCAB, 13, DIM, HEADS, 1, 1, max_seq_len=8),
        lambda: [_ids((BATCH, SRC_LEN)), _ids((BATCH, TGT_LEN), seed=1)],
    ),
    "encoder_decoder_shared": (
        lambda: EncoderDecoderTransformer(VOCAB, VOCAB, DIM, HEADS, 1, 1, max_seq_len=8, positional="none",
                                          share_embeddings=True),
        lambda: [_ids((BATCH, SRC_LEN)), _ids((BATCH, TGT_LEN), seed=1)],
    ),
    "classifier_probabilities": (
        lambda: TransformerClassifier(VOCAB, 3, DIM, HEADS, 1, max_seq_len=8, positional="learned", ffn_type="geglu",
                                      pooling="cls", output_probabilities=True),
        lambda: [_ids((BATCH, SRC_LEN))],
    ),
    "aligner": (lambda: MiniVec2VecAligner(6), lambda: [_floats((BATCH, 6))]),
}
MULTI_INPUT = {"decoder", "encoder_decoder", "encoder_decoder_shared"}
# The functional round trip (with a graph-mode training step) is the slowest check, so it
# skips the cases that add nothing there: the unshared encoder-decoder (decoder + shared
# case cover it) and the bare encoder (inside the classifier case).
FUNCTIONAL_CASES = sorted(set(MODEL_CASES) - {"encoder_decoder", "encoder_learned"})


def _call(model, xs, name):
    return model(list(xs)) if name in MULTI_INPUT else model(xs[0])


def _randomize(model):
    """Perturb every weight so that a round trip cannot pass on initial values alone."""
    model.set_weights([w + 0.1 * _floats(w.shape, seed=i) for i, w in enumerate(model.get_weights())])


@pytest.mark.parametrize("name", sorted(MODEL_CASES))
def test_roundtrip_model_config_and_keras_file(name, tmp_path):
    make, make_inputs = MODEL_CASES[name]
    inputs = make_inputs()
    model = make()
    _call(model, inputs, name)
    _randomize(model)
    out = _np(_call(model, inputs, name))

    config = model.get_config()
    clone = model.__class__.from_config(config)
    _call(clone, inputs, name)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_np(_call(clone, inputs, name)), out, atol=TOL, rtol=TOL)

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(_np(_call(loaded, inputs, name)), out, atol=TOL, rtol=TOL)


@pytest.mark.parametrize("name", FUNCTIONAL_CASES)
def test_roundtrip_inside_functional_model(name, tmp_path):
    make, make_inputs = MODEL_CASES[name]
    call = (lambda model, xs: model(list(xs))) if name in MULTI_INPUT else None
    assert_roundtrip(make, make_inputs(), tmp_path, call=call)


def test_roundtrip_aligner_keeps_the_fitted_matrix(tmp_path):
    dim = 4
    q = _random_orthogonal(dim, seed=1)
    model = MiniVec2VecAligner(dim)
    model.build((None, dim))
    model.W.assign(q.astype("float32"))
    path = tmp_path / "aligner.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(_np(loaded.W), q, atol=TOL)
    x = _floats((3, dim))
    np.testing.assert_allclose(_np(loaded(x)), x @ q, atol=1e-5)


# --------------------------------------------------------------------------- MiniVec2VecAligner


def _clustered(n, dim, groups, seed):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((groups, dim)) * 3.0
    labels = rng.integers(0, groups, size=n)
    scales = rng.uniform(0.3, 1.0, size=groups)
    return (centers[labels] + rng.standard_normal((n, dim)) * scales[labels, None]).astype("float32")


def test_aligner_starts_as_identity():
    model = MiniVec2VecAligner(5)
    x = _floats((3, 5))
    np.testing.assert_allclose(_np(model(x)), x, atol=TOL)
    np.testing.assert_allclose(_np(model.W), np.eye(5), atol=TOL)
    assert len(model.trainable_weights) == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_aligner_recovers_a_known_rotation(seed):
    dim, groups = 8, 8
    xa = _clustered(400, dim, groups, seed)
    q = _random_orthogonal(dim, seed + 10)
    # Unpaired: B is the rotated A in a shuffled order.
    xb = (xa @ q)[np.random.default_rng(seed + 20).permutation(len(xa))]
    model = MiniVec2VecAligner(dim)  # align() builds the model itself
    history = model.align(xa, xb, approx_clusters=groups, approx_runs=5, refine1_iterations=5,
                          refine2_clusters=groups, seed=seed)
    w = _np(model.W)
    np.testing.assert_allclose(w.T @ w, np.eye(dim), atol=1e-5)  # orthogonal
    np.testing.assert_allclose(w, q, atol=1e-4)
    mapped, truth = _np(model(xa)), xa @ q
    cosine = (mapped * truth).sum(1) / np.linalg.norm(mapped, axis=1) / np.linalg.norm(truth, axis=1)
    assert cosine.min() > 0.999
    assert set(history) == {"approx_run_scores", "approx_score", "refine1_scores", "refine2_score",
                            "final_score", "best_stage"}
    assert len(history["approx_run_scores"]) == 5 and len(history["refine1_scores"]) == 5
    assert history["final_score"] == pytest.approx(1.0, abs=1e-6)
    assert history["final_score"] >= max(history["approx_run_scores"]) - 1e-12


def test_aligner_can_skip_the_refinement_stages():
    xa = _clustered(200, 4, 4, seed=2)
    history = MiniVec2VecAligner(4).align(xa, xa, approx_clusters=4, approx_runs=2, refine1_iterations=0,
                                          refine2_clusters=0)
    assert history["refine1_scores"] == [] and history["refine2_score"] is None
    assert history["best_stage"] == "approx"


def test_linear_assignment_matches_brute_force():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 5, 6):
        for _ in range(5):
            cost = rng.standard_normal((n, n))
            best = min(cost[np.arange(n), list(p)].sum() for p in itertools.permutations(range(n)))
            assignment = linear_assignment(cost)
            assert sorted(assignment) == list(range(n))
            assert cost[np.arange(n), assignment].sum() == pytest.approx(best)


def test_procrustes_recovers_the_rotation_of_paired_points():
    x = _floats((20, 5)).astype("float64")
    q = _random_orthogonal(5, seed=4)
    np.testing.assert_allclose(procrustes(x, x @ q), q, atol=1e-10)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: TransformerEncoder(VOCAB, 10, 3, 1), "divisible"),
        (lambda: TransformerEncoder(VOCAB, DIM, HEADS, 1, positional="rotary"), "positional"),
        (lambda: TransformerEncoder(VOCAB, DIM, HEADS, 0), "num_layers"),
        (lambda: TransformerEncoder(0, DIM, HEADS, 1), "vocab_size"),
        (lambda: TransformerEncoder(VOCAB, DIM, HEADS, 1, normalization_position="middle"), "normalization_position"),
        (lambda: TransformerEncoder(VOCAB, DIM, HEADS, 1, dropout_rate=1.0), "dropout_rate"),
        (lambda: TransformerEncoder(VOCAB, DIM, HEADS, 1, intermediate_size=-4), "intermediate_size"),
        (lambda: TransformerEncoder(VOCAB, DIM, HEADS, 1, normalization_type="batch_normz"), "normalization type"),
        (lambda: TransformerDecoder(VOCAB, 10, 4, 1), "divisible"),
        (lambda: TransformerDecoder(VOCAB, DIM, HEADS, 1, positional="alibi"), "positional"),
        (lambda: TransformerDecoderLayer(10, 4, 16), "divisible"),
        (lambda: TransformerDecoderLayer(DIM, HEADS, 16, ffn_type="swiglue"), "ffn_type"),
        (lambda: EncoderDecoderTransformer(VOCAB, VOCAB, 10, 4, 1, 1), "divisible"),
        (lambda: EncoderDecoderTransformer(VOCAB, 12, DIM, HEADS, 1, 1, share_embeddings=True), "share_embeddings"),
        (lambda: EncoderDecoderTransformer(VOCAB, VOCAB, DIM, HEADS, 1, 1, positional="x"), "positional"),
        (lambda: TransformerClassifier(VOCAB, 3, 10, 4, 1), "divisible"),
        (lambda: TransformerClassifier(VOCAB, 3, DIM, HEADS, 1, pooling="max"), "pooling"),
        (lambda: TransformerClassifier(VOCAB, 0, DIM, HEADS, 1), "num_classes"),
        (lambda: FeedForwardNetwork([8, 0], 2), "hidden_dims"),
        (lambda: FeedForwardNetwork(8, 2), "hidden_dims"),
        (lambda: FeedForwardNetwork([8], 2, dropout_rate=-0.1), "dropout_rate"),
        (lambda: FeedForwardNetwork([8], 2, normalization_type="nope"), "normalization type"),
        (lambda: MiniVec2VecAligner(0), "embedding_dim"),
    ],
)
def test_invalid_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_invalid_build_and_align_inputs_raise_value_error():
    with pytest.raises(ValueError, match="features"):
        FeedForwardNetwork([4], 2).build((None, None))
    with pytest.raises(ValueError, match="two inputs"):
        EncoderDecoderTransformer(VOCAB, VOCAB, DIM, HEADS, 1, 1).build((None, SRC_LEN))
    with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
        MiniVec2VecAligner(4).build((None, 5))
    aligner = MiniVec2VecAligner(4)
    with pytest.raises(ValueError, match="XB must have shape"):
        aligner.align(_floats((50, 4)), _floats((50, 3)))
    with pytest.raises(ValueError, match="at least 20 rows"):
        aligner.align(_floats((10, 4)), _floats((50, 4)))
    with pytest.raises(ValueError, match="smoothing_alpha"):
        aligner.align(_floats((50, 4)), _floats((50, 4)), smoothing_alpha=0.0)
    with pytest.raises(ValueError, match="refine1_iterations"):
        aligner.align(_floats((50, 4)), _floats((50, 4)), refine1_iterations=-1)
