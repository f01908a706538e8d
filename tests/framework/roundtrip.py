"""Shared serialization round-trip check for framework layers.

``assert_roundtrip`` is what every factory's round-trip test calls: it proves that a layer
survives ``get_config`` -> ``from_config`` and a ``.keras`` save / load inside a model, gives
the same outputs afterwards, and can take a training step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

import keras
import numpy as np

ATOL = 1e-6


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def random_inputs(shapes: Sequence[tuple], dtypes: Sequence[str] | None = None, seed: int = 0,
                  int_high: int = 10) -> list[np.ndarray]:
    """Random arrays for the given shapes (batch dimension included)."""
    rng = np.random.default_rng(seed)
    dtypes = dtypes or ["float32"] * len(shapes)
    out = []
    for shape, dtype in zip(shapes, dtypes):
        if dtype.startswith("int"):
            out.append(rng.integers(0, int_high, size=shape).astype(dtype))
        else:
            out.append(rng.standard_normal(shape).astype(dtype))
    return out


def assert_roundtrip(
    make_layer: Callable[[], keras.layers.Layer],
    inputs: Sequence[np.ndarray],
    tmp_path: Path,
    call: Callable[[keras.layers.Layer, list], Any] | None = None,
    train: bool = True,
) -> None:
    """Build, call, config round trip, ``.keras`` save/load, compare outputs, train one step.

    ``call(layer, symbolic_or_real_inputs)`` adapts how the layer is called (default: a single
    input is passed as is, several as positional arguments).
    """
    inputs = list(inputs)
    call = call or (lambda layer, xs: layer(*xs))

    layer = make_layer()
    eager_out = _as_list(call(layer, [keras.ops.convert_to_tensor(x) for x in inputs]))

    # get_config -> from_config gives an equivalent, independently built layer.
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    clone_out = _as_list(call(clone, [keras.ops.convert_to_tensor(x) for x in inputs]))
    assert [tuple(o.shape) for o in clone_out] == [tuple(o.shape) for o in eager_out]
    assert clone.get_config() == config

    # Functional model around a fresh layer, saved and loaded in .keras format.
    sym = [keras.Input(shape=x.shape[1:], dtype=str(x.dtype), batch_size=None) for x in inputs]
    model_layer = make_layer()
    outputs = call(model_layer, sym)
    model = keras.Model(sym if len(sym) > 1 else sym[0], outputs)
    before = _as_list(model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))
    path = os.path.join(str(tmp_path), "roundtrip.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    after = _as_list(loaded.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))
    assert len(before) == len(after)
    for b, a in zip(before, after):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=ATOL, atol=ATOL,
                                   err_msg="outputs changed after .keras save/load")

    if train and model.trainable_weights:
        targets = [np.zeros_like(np.asarray(b), dtype="float32") for b in before]
        model.compile(optimizer="sgd", loss="mse")
        x = inputs if len(inputs) > 1 else inputs[0]
        y = targets if len(targets) > 1 else targets[0]
        loss = model.train_on_batch(x, y)
        assert np.all(np.isfinite(np.asarray(loss))), "training step produced a non-finite loss"
