"""DLT301-DLT305 beyond the embedded examples: the DLT301 fix is checked by running code before
and after fixing, and the data tables are checked against the installed TensorFlow / Keras."""

from __future__ import annotations

import importlib
import inspect
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from dlt_lint.config import LintConfig
from dlt_lint.linter import fix_source, lint_source
from dlt_lint.rule import all_rules
from dlt_lint.tf_to_ops import KERAS_PRIVATE_TO_PUBLIC, TF_DTYPES, TF_LOOKUP, TF_TO_OPS

RULES = all_rules()
DLT301 = RULES["DLT301"]


def _config() -> LintConfig:
    cfg = LintConfig()
    cfg.select = ["ALL"]
    cfg.preview = True
    return cfg


def _fix(source: str, code: str = "DLT301", unsafe: bool = False) -> str:
    result = fix_source(source, "snippet.py", _config(), module="snippet", unsafe=unsafe,
                        rules=[RULES[code]])
    assert result.error is None, result.error
    return result.source


def _lint(source: str, code: str) -> list:
    return lint_source(textwrap.dedent(source), "snippet.py", _config(), module="snippet",
                       rules=[RULES[code]])


def _resolve_tf(path: str):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _param_names(func) -> list[str]:
    return [p.name for p in inspect.signature(func).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD]


# ----------------------------------------------------------------------------- the table
def test_table_is_large_enough():
    assert len(TF_TO_OPS) >= 30
    assert len(TF_LOOKUP) >= 80


@pytest.mark.parametrize("path", sorted(TF_LOOKUP))
def test_tf_side_matches_tensorflow(path):
    """Every TensorFlow spelling exists and takes the listed parameters in that order."""
    spec = TF_LOOKUP[path]
    names = [n for n in _param_names(_resolve_tf(path)) if n != "name"]
    args = [a.lstrip("*") for a in spec["args"]]
    assert names[:len(args)] == args, (path, names)
    for field in ("rename", "inject", "require", "not_none", "int_literal"):
        assert set(spec.get(field, ())) <= set(spec["args"]), (path, field)


@pytest.mark.parametrize("path", sorted(TF_TO_OPS))
def test_ops_side_matches_keras(path):
    """The keras.ops target exists, ``sig`` is its signature, and every mapped parameter
    name (renamed or kept) is a parameter of the target."""
    spec = TF_TO_OPS[path]
    func = getattr(keras.ops, spec["target"])
    sig = [s.lstrip("*") for s in spec["sig"]]
    assert _param_names(func)[:len(sig)] == sig, (path, _param_names(func))
    for arg in spec["args"]:
        target = spec.get("rename", {}).get(arg, arg)
        if target is not None:
            assert target.lstrip("*") in sig, (path, arg, target)


def test_private_keras_table_names_the_same_objects():
    for private, public in KERAS_PRIVATE_TO_PUBLIC.items():
        objs = []
        for name in (private, public):
            module, _, attr = name.rpartition(".")
            objs.append(getattr(importlib.import_module(module), attr))
        assert objs[0] is objs[1], private
        assert not inspect.ismodule(objs[0]), private


def test_dtype_names_are_keras_dtypes():
    for name in TF_DTYPES:
        assert getattr(tf, name) == tf.as_dtype(name)
        assert keras.backend.standardize_dtype(name) == name


# ----------------------------------------------------------------------------- per-entry behaviour
RNG = np.random.default_rng(0)
ENV = {
    "a": tf.constant(RNG.normal(size=(3, 3)).astype("float32")),
    "b": tf.constant(RNG.normal(size=(3, 2)).astype("float32")),
    "c": tf.constant(RNG.normal(size=(3, 3)).astype("float32")),
    "p": tf.constant(RNG.uniform(0.5, 2.0, size=(3, 3)).astype("float32")),
    "h": tf.constant([[0.5, 1.5, -2.5], [2.5, -0.5, 3.2], [-1.7, 0.0, 4.5]], "float32"),
    "v": tf.constant([1.0, 2.0, 3.0]),
    "i": tf.constant([0, 3, 1]),
    "m1": tf.constant([True, False, True]),
    "m2": tf.constant([True, True, False]),
    "s": tf.constant([[0.1, -0.3], [0.2, 0.4]]),
}

# TensorFlow expressions whose DLT301 fix must give the same values and dtypes.
EXPRESSIONS = [
    "tf.matmul(a, b)", "tf.linalg.matmul(a=a, b=b, name='mm')", "tf.einsum('ij,jk->ik', a, b)",
    "tf.tensordot(a, b, axes=1)",
    "tf.reshape(a, [-1])", "tf.reshape(tensor=a, shape=(9, 1))", "tf.transpose(b)",
    "tf.transpose(a, perm=[1, 0])", "tf.transpose(b, [1, 0])", "tf.concat([a, c], 0)",
    "tf.concat(values=[a, b], axis=1)", "tf.stack([a, c], axis=1)", "tf.unstack(a, axis=1)",
    "tf.expand_dims(v, 0)", "tf.squeeze(tf.expand_dims(a, 0))", "tf.squeeze(tf.expand_dims(a, 1), axis=1)",
    "tf.tile(b, [2, 1])", "tf.repeat(v, 2)", "tf.repeat(a, 2, axis=0)", "tf.broadcast_to(v, [2, 3])",
    "tf.shape(a)[1]", "tf.size(a)", "tf.split(a, 3, axis=1)", "tf.gather(a, [1, 0])",
    "tf.gather(a, [2], axis=1)", "tf.reverse(a, [0])", "tf.roll(a, 1, axis=1)",
    "tf.pad(b, [[1, 0], [0, 2]])", "tf.pad(b, [[1, 0], [0, 2]], constant_values=3.0)",
    "tf.where(a > 0, a, c)",
    "tf.zeros([2, 3])", "tf.ones((2,), dtype=tf.int32)", "tf.zeros_like(a)",
    "tf.ones_like(a, dtype='float64')", "tf.eye(3)", "tf.eye(2, 3, dtype=tf.float64)",
    "tf.range(5)", "tf.range(1, 7, 2)", "tf.range(0.0, 1.0, 0.25)", "tf.range(start=2, limit=5)",
    "tf.one_hot(i, 4)", "tf.one_hot(i, 4, axis=0)", "tf.cast(a, tf.int32)", "tf.dtypes.cast(v, 'int64')",
    "tf.convert_to_tensor([1.0, 2.0], dtype=tf.float64)", "tf.stop_gradient(a)",
    "tf.reduce_mean(a)", "tf.reduce_mean(a, axis=-1, keepdims=True)", "tf.math.reduce_sum(a, 0)",
    "tf.reduce_max(a, axis=[0, 1])", "tf.reduce_min(a, 1)", "tf.reduce_prod(p, axis=0)",
    "tf.reduce_any(a > 1.0)", "tf.reduce_all(a > -5.0, axis=0)", "tf.reduce_logsumexp(a, axis=1)",
    "tf.math.reduce_variance(a, axis=0)", "tf.math.reduce_std(a)", "tf.nn.moments(a, axes=[0])",
    "tf.cumsum(a)", "tf.math.cumsum(a, axis=1)", "tf.math.cumprod(p)", "tf.sort(a)",
    "tf.argsort(a, axis=0)",
    "tf.nn.relu(a)", "tf.nn.relu6(a * 5.0)", "tf.nn.gelu(a)", "tf.nn.gelu(a, approximate=True)",
    "tf.nn.silu(a)", "tf.nn.swish(a)", "tf.nn.elu(a)", "tf.nn.selu(a)", "tf.nn.leaky_relu(a)",
    "tf.nn.leaky_relu(a, alpha=0.1)", "tf.nn.softplus(a)", "tf.math.softplus(a)", "tf.sigmoid(a)",
    "tf.nn.sigmoid(a)", "tf.math.sigmoid(a)", "tf.math.log_sigmoid(a)", "tf.tanh(a)", "tf.nn.tanh(a)",
    "tf.nn.softmax(a)", "tf.nn.softmax(a, axis=0)", "tf.math.softmax(logits=a)",
    "tf.nn.log_softmax(a)", "tf.math.log_softmax(a, axis=0)",
    "tf.exp(a)", "tf.math.exp(a)", "tf.math.log(p)", "tf.math.log1p(p)", "tf.math.expm1(a)",
    "tf.sqrt(p)", "tf.math.sqrt(p)", "tf.math.rsqrt(p)", "tf.square(a)", "tf.abs(a)", "tf.math.abs(a)",
    "tf.sign(a)", "tf.negative(a)", "tf.math.reciprocal(p)", "tf.floor(h)", "tf.math.ceil(h)",
    "tf.round(h)", "tf.math.round(h)", "tf.sin(a)", "tf.cos(a)", "tf.math.tan(a)", "tf.math.erf(a)",
    "tf.math.erfinv(s)", "tf.math.is_nan(a)", "tf.math.is_inf(a)", "tf.math.is_finite(a)",
    "tf.clip_by_value(a, -0.5, 0.5)", "tf.clip_by_value(t=a, clip_value_min=0.0, clip_value_max=1.0)",
    "tf.add(a, c)", "tf.subtract(a, c)", "tf.multiply(a, c)", "tf.divide(a, p)", "tf.pow(p, 2.0)",
    "tf.math.pow(x=p, y=0.5)", "tf.maximum(a, c)", "tf.math.minimum(a, c)", "tf.equal(i, 3)",
    "tf.not_equal(i, 3)", "tf.greater(a, c)", "tf.greater_equal(a, c)", "tf.less(a, c)",
    "tf.less_equal(a, c)", "tf.logical_and(m1, m2)", "tf.logical_or(m1, m2)",
    "tf.logical_not(m1)", "tf.math.logical_and(m1, m2)",
]

# A static dimension comes back as a Python int instead of an int32 scalar tensor.
VALUE_ONLY = {"tf.shape(a)[1]"}

# Unsafe fixes: the values agree, the index dtype does not (int32 instead of int64).
UNSAFE_EXPRESSIONS = ["tf.argmax(a)", "tf.math.argmax(a, axis=1)", "tf.argmin(a, 1)"]


def _to_numpy(value):
    if isinstance(value, (list, tuple)):
        return [_to_numpy(v) for v in value]
    return np.asarray(keras.ops.convert_to_numpy(value))


def _compare(expected, got, check_dtype: bool) -> None:
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for e, g in zip(expected, got):
            _compare(e, g, check_dtype)
        return
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    if check_dtype:
        assert got.dtype == expected.dtype, (got.dtype, expected.dtype)


@pytest.mark.parametrize("expr", EXPRESSIONS + UNSAFE_EXPRESSIONS)
def test_fixed_expression_computes_the_same(expr):
    unsafe = expr in UNSAFE_EXPRESSIONS
    source = f"import tensorflow as tf\nfrom keras import ops\n\nout = {expr}\n"
    fixed = _fix(source, unsafe=unsafe)
    fixed_expr = fixed.rstrip("\n").split("\n")[-1][len("out = "):]
    assert "tf." not in fixed_expr, fixed_expr
    env = dict(ENV, tf=tf, ops=keras.ops)
    expected = _to_numpy(eval(expr, env))
    got = _to_numpy(eval(fixed_expr, env))
    _compare(expected, got, check_dtype=not unsafe and expr not in VALUE_ONLY)
    if unsafe:
        assert _fix(source, unsafe=False) == source  # not applied without --unsafe-fixes


# ----------------------------------------------------------------------------- a whole layer
LAYER_SOURCE = '''\
"""A layer written against TensorFlow."""
import keras
import tensorflow as tf


class Mixer(keras.layers.Layer):
    """Mixes tokens with a handful of TensorFlow calls."""

    def call(self, x):
        b = tf.shape(x)[0]
        n = tf.shape(x)[1]
        y = tf.transpose(x, perm=[0, 2, 1])
        z = tf.matmul(x, y, name="gram")
        m = tf.reduce_mean(z, axis=-1, keepdims=True)
        pos = tf.cast(tf.range(0, n, 1), tf.float32)
        pos = tf.expand_dims(tf.expand_dims(pos, 0), -1)
        c = tf.concat([m, pos * tf.ones_like(m)], axis=-1)
        s = tf.reduce_sum(tf.nn.gelu(c) * tf.sigmoid(c), axis=1)
        s = s + tf.reduce_max(tf.abs(z), axis=[1, 2])[:, None]
        s = tf.where(s > 0, tf.sqrt(tf.square(s) + 1.0), tf.exp(s))
        t = tf.tile(tf.squeeze(tf.reduce_min(z, axis=2, keepdims=True), axis=-1), [1, 2])
        g = tf.gather(t, [0, 2], axis=1)
        q = tf.cumsum(g, axis=1) + tf.cast(b, tf.float32)
        e = tf.reshape(tf.einsum("bi,bj->bij", s, s), (b, -1))
        p = tf.clip_by_value(tf.nn.softmax(c[:, :, 0]), 0.1, 0.9)
        return tf.concat([e, q, p, tf.maximum(g, 0.5), tf.minimum(g, 0.5)], axis=-1)
'''


def _load_layer(source: str):
    namespace: dict = {}
    exec(compile(source, "mixer.py", "exec"), namespace)
    return namespace["Mixer"]()


def test_fixed_layer_computes_the_same():
    fixed = _fix(LAYER_SOURCE)
    remaining = _lint(fixed, "DLT301")
    assert remaining == [], [(d.start.row, d.message) for d in remaining]
    body = fixed.split("class Mixer", 1)[1]
    assert "tf." not in body
    assert "keras.ops.transpose(x, axes=[0, 2, 1])" in body
    assert "keras.ops.gelu(c, approximate=False)" in body

    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    before, after = _load_layer(LAYER_SOURCE), _load_layer(fixed)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(after(x)),
                               keras.ops.convert_to_numpy(before(x)), rtol=1e-5, atol=1e-5)

    # Graph mode with an unknown batch size: tf.shape(x)[0] became keras.ops.shape(x)[0].
    spec = tf.TensorSpec((None, 5, 3), tf.float32)
    graph_before = tf.function(before.call, input_signature=[spec])
    graph_after = tf.function(after.call, input_signature=[spec])
    np.testing.assert_allclose(graph_after(x).numpy(), graph_before(x).numpy(), rtol=1e-5, atol=1e-5)


def test_fix_is_idempotent_and_keeps_the_import():
    once = _fix(LAYER_SOURCE)
    assert _fix(once) == once
    assert "import tensorflow as tf" in once


def test_ops_spelling_follows_the_module_imports():
    src = "from keras import ops as K\nimport tensorflow as tf\n\ny = tf.reduce_sum(x)\n"
    assert _fix(src).endswith("y = K.sum(x)\n")
    src = "import keras as kk\nimport tensorflow as tf\n\ny = tf.reduce_sum(x)\n"
    assert _fix(src).endswith("y = kk.ops.sum(x)\n")
    # `keras` is taken by something else: reported, not fixed.
    src = "import tensorflow as tf\nfrom tensorflow import keras\n\ny = tf.reduce_sum(x)\n"
    assert [d.fix for d in _lint(src, "DLT301")] == [None]


def test_no_keras_import_added_inside_keras():
    src = "import tensorflow as tf\n\ny = tf.reduce_sum(x)\n"
    found = lint_source(src, "keras/src/ops/demo.py", _config(), module="keras.src.ops.demo",
                        rules=[DLT301])
    assert len(found) == 1 and found[0].fix is None


@pytest.mark.parametrize("snippet", [
    "tf.transpose(x, perm=[1, 0], conjugate=True)",  # no equivalent argument
    "tf.reduce_sum(x, **kw)",  # unknown keywords
    "tf.concat(*parts)",  # unknown positional layout
    "tf.split(x, [2, 1])",  # sizes, not split points
    "tf.nn.softmax(x, axis=None)",  # None means -1 in TensorFlow only
    "tf.shape(x) + 1",  # tensor arithmetic on a tuple
    "tf.cumsum(x, exclusive=True)",
    "tf.matmul(x, y,  # comment\n    name='mm')",  # dropping name= would drop the comment
])
def test_no_fix_without_a_one_to_one_equivalent(snippet):
    src = f"import tensorflow as tf\nfrom keras import ops\n\ny = {snippet}\n"
    diagnostics = _lint(src, "DLT301")
    assert diagnostics and diagnostics[0].fix is None


def test_only_uses_are_reported_not_imports_or_text():
    src = '''
        """tf.reduce_sum appears in this docstring."""
        import tensorflow as tf
        from tensorflow import nn

        # tf.matmul(a, b) in a comment
        text = "tf.matmul(a, b)"
        with tf.GradientTape() as tape:
            y = nn.relu(text)
    '''
    diagnostics = _lint(src, "DLT301")
    assert [(d.start.row, d.start.column) for d in diagnostics] == [(9, 8)]


# ----------------------------------------------------------------------------- DLT302-DLT305
def test_backend_import_reported_once_per_statement():
    src = """
        import keras
        import torch, torch.nn

        class Block(keras.layers.Layer):
            pass
    """
    assert len(_lint(src, "DLT302")) == 1


def test_legacy_keras_fix_runs():
    src = textwrap.dedent("""
        import tensorflow as tf
        from tensorflow.keras import layers

        layer = tf.keras.layers.Dense(3, name="d")
        other = layers.Dense(2)
    """)
    fixed = _fix(src, "DLT303")
    assert "tf.keras" not in fixed and "tensorflow.keras" not in fixed
    namespace: dict = {}
    exec(fixed, namespace)
    assert isinstance(namespace["layer"], keras.layers.Dense)
    assert namespace["layer"].units == 3 and namespace["other"].units == 2


def test_ops_random_fix_runs():
    src = "from keras import ops\n\nx = ops.random.normal((2, 3), seed=3)\n"
    fixed = _fix(src, "DLT304")
    namespace: dict = {}
    exec(fixed, namespace)
    expected = keras.random.normal((2, 3), seed=3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(namespace["x"]),
                               keras.ops.convert_to_numpy(expected))


def test_gradient_tape_fix_runs():
    src = textwrap.dedent("""
        import keras

        v = keras.Variable(3.0)
        with keras.GradientTape() as tape:
            y = v * v
        grad = tape.gradient(y, v)
    """)
    fixed = _fix(src, "DLT305")
    assert "import tensorflow as tf" in fixed
    namespace: dict = {}
    exec(fixed, namespace)
    assert float(namespace["grad"]) == pytest.approx(6.0)


def test_fixed_layer_runs_on_the_jax_backend(tmp_path):
    """The point of the fix: the same module now runs on another backend."""
    pytest.importorskip("jax")
    import os
    import subprocess
    import sys

    fixed = _fix(LAYER_SOURCE)
    (tmp_path / "mixer_fixed.py").write_text(fixed)
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    expected = keras.ops.convert_to_numpy(_load_layer(LAYER_SOURCE)(x))
    script = (
        "import sys, numpy as np, keras\n"
        "assert keras.backend.backend() == 'jax'\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from mixer_fixed import Mixer\n"
        f"y = Mixer()(np.load({str(tmp_path / 'x.npy')!r}))\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, keras.ops.convert_to_numpy(y))\n"
    )
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-4, atol=1e-4)
