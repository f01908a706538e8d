"""Fixes of different rules applied to one class must agree with each other.

Fixes are computed on one snapshot of the file; a rename and a generated ``get_config`` in
the same class would otherwise disagree about the parameter's name. The fixed layer below is
executed to prove the combined result is not just parsable but correct.
"""

import textwrap

import keras
import numpy as np

from dlt_lint.config import LintConfig
from dlt_lint.linter import fix_source

LEGACY = textwrap.dedent('''
    import tensorflow as tf
    from keras import layers as L


    class MyAttention(L.Layer):
        def __init__(self, units, heads=2, dropout=0.0):
            super().__init__()
            self.units = units
            self.heads = heads
            self.w_q = L.Dense(units)
            self.norm = L.LayerNormalization(epsilon=1e-5)

        def call(self, x):
            q = self.w_q(x)
            s = tf.matmul(q, q, transpose_b=True)
            a = tf.nn.softmax(s, axis=-1)
            return self.norm(tf.matmul(a, q))
''')


def _load(source: str, name: str) -> dict:
    namespace: dict = {"__name__": name}
    exec(compile(source, f"{name}.py", "exec"), namespace)
    return namespace


def test_all_unsafe_fixes_together_give_a_working_layer():
    result = fix_source(LEGACY, "my_attention.py", LintConfig(), unsafe=True)
    assert result.error is None
    fixed = result.source
    # Renames and generated code agree on the new names.
    assert "self.dropout_rate = dropout_rate" in fixed
    assert '"dim": self.dim' in fixed and '"units"' not in fixed
    # A second run changes nothing.
    again = fix_source(fixed, "my_attention.py", LintConfig(), unsafe=True)
    assert again.source == fixed

    ns = _load(fixed, "fixed_attention_interplay")
    layer = ns["MyAttention"](dim=4, num_heads=2)
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x))
    config = layer.get_config()
    assert {"dim", "num_heads", "dropout_rate"} <= set(config)
    clone = ns["MyAttention"].from_config(config)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(x)), out, rtol=1e-6, atol=1e-6)
