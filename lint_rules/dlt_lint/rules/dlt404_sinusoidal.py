"""DLT404: sinusoidal position tables come from the embedding factory."""

from __future__ import annotations

import ast

from dlt_lint.astwalk import walk
from dlt_lint.context import FileContext
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules.dlt403_rope import (
    class_scope,
    is_embedding_implementation,
    math_function,
    mentions,
    mentions_sin_and_cos,
    rotary_node,
)

TABLE_COMBINE = frozenset({"concatenate", "concat", "stack", "cat", "hstack", "vstack", "dstack",
                           "where", "select", "interleave"})
BASE_WORDS = frozenset({"wavelength", "timescale", "timescales"})
MIN_BASE = 100  # 10000 in the original Transformer; bases this large are wavelength bases


def _big_number(node: ast.AST) -> bool:
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("float", "int") \
            and len(node.args) == 1:
        node = node.args[0]
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value >= MIN_BASE


def _is_base(node: ast.AST, ctx: FileContext) -> bool:
    return _big_number(node) or mentions(node, ctx, BASE_WORDS)


def wavelength_base(ctx: FileContext, node: ast.AST) -> bool:
    """``10000 ** (...)``, ``power(10000, ...)``, ``log(10000)``, ``max_wavelength ** (...)``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _is_base(node.left, ctx)
    fn = math_function(ctx, node)
    if fn in ("power", "pow", "float_power") and node.args:  # type: ignore[attr-defined]
        return _is_base(node.args[0], ctx)  # type: ignore[attr-defined]
    if fn in ("log", "log10", "log2") and node.args:  # type: ignore[attr-defined]
        return _is_base(node.args[0], ctx)  # type: ignore[attr-defined]
    return False


def _trig_names(func: ast.AST, ctx: FileContext) -> tuple[set[str], set[str]]:
    """Local names assigned (directly) from a sin / cos call."""
    sin_names: set[str] = set()
    cos_names: set[str] = set()

    def record(target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts):
                record(t, v)
            return
        name = target.id if isinstance(target, ast.Name) else (
            target.attr if isinstance(target, ast.Attribute) else None)
        if name is None:
            return
        fns = {math_function(ctx, s) for s in walk(value)}
        if "sin" in fns:
            sin_names.add(name)
        if "cos" in fns:
            cos_names.add(name)

    for node in walk(func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                record(target, node.value)
    return sin_names, cos_names


def _uses(node: ast.AST, ctx: FileContext, fn: str, names: set[str]) -> bool:
    for sub in walk(node):
        if math_function(ctx, sub) == fn:
            return True
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
        if name is not None and name in names:
            return True
    return False


def sinusoidal_table(ctx: FileContext, cls: ast.ClassDef) -> bool:
    """Sin and cos of frequencies built from a wavelength base, merged into one table."""
    scope = class_scope(ctx, cls)
    has_sin = has_cos = has_base = combined = False
    for root in scope:
        sin_names, cos_names = _trig_names(root, ctx)
        sin_slot = cos_slot = False
        for node in walk(root):
            fn = math_function(ctx, node)
            has_sin = has_sin or fn == "sin"
            has_cos = has_cos or fn == "cos"
            has_base = has_base or wavelength_base(ctx, node)
            if fn in TABLE_COMBINE:
                args = [*node.args, *[kw.value for kw in node.keywords]]  # type: ignore[attr-defined]
                if any(_uses(a, ctx, "sin", sin_names) for a in args) and \
                        any(_uses(a, ctx, "cos", cos_names) for a in args):
                    combined = True
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) for t in node.targets):
                fns = {math_function(ctx, s) for s in walk(node.value)}
                sin_slot = sin_slot or "sin" in fns
                cos_slot = cos_slot or "cos" in fns
        combined = combined or (sin_slot and cos_slot)
    return has_sin and has_cos and has_base and combined


class HandWrittenSinusoidalTable(Rule):
    """
    ## What it does
    Reports a Keras class that builds the sinusoidal position table of the original
    Transformer itself: sines and cosines of positions times frequencies derived from a
    wavelength base (`10000 ** (2i / d)`, `power(10000, ...)`, `exp(-log(10000) * ...)`,
    `max_wavelength ** ...`), merged into one table (concatenated, stacked, interleaved with
    `where`, or written into even / odd columns). Helper functions of the same module that the
    class calls count as part of it. Classes with rotary math are left to DLT403, and the
    framework's own embeddings (classes in an `embedding` package, classes a factory registry
    of the project names) are not reported.

    ## Why
    `create_embedding_layer("sinusoidal", max_seq_len=..., dim=...)` provides the table once,
    computed in float64 and stored as a non-trainable weight. Copies differ in subtle ways
    (interleaved vs. concatenated layout, odd widths, dtype) that break compatibility.

    ## Example
    ```python
    class PositionalEncoding(keras.layers.Layer):
        def build(self, input_shape):
            pos = np.arange(input_shape[1])[:, None]
            div = np.exp(np.arange(0, self.dim, 2) * -(np.log(10000.0) / self.dim))
            table = np.concatenate([np.sin(pos * div), np.cos(pos * div)], axis=-1)
    ```

    ## Use instead
    ```python
    self.positions = create_embedding_layer("sinusoidal", max_seq_len=512, dim=dim)
    ```

    ## Fix safety
    No fix: the framework table uses one fixed layout; switching changes the values a trained
    model depends on.
    """

    code = "DLT404"
    name = "hand-written-sinusoidal-table"
    summary = "Hand-written sinusoidal position table; use create_embedding_layer('sinusoidal', ...)"
    keras_only = True
    needles = ("cos",)  # both patterns need a cosine; "sin" alone is in too many words

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Check one class."""
        if not self.ctx.keras_class(node) or not mentions_sin_and_cos(self.ctx):
            return
        if rotary_node(self.ctx, node) is not None:
            return
        if sinusoidal_table(self.ctx, node) and not is_embedding_implementation(self.ctx, node):
            self.report(self.ctx.name_range(node),
                        f"`{node.name}` hand-writes a sinusoidal position table; use "
                        "create_embedding_layer(\"sinusoidal\", ...)")

    VALID = [
        """
        import keras
        from dl_techniques.layers.embedding import create_embedding_layer

        class Encoder(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.positions = create_embedding_layer("sinusoidal", max_seq_len=64, dim=dim)
        """,
        # Random Fourier features: sin/cos merged, but no wavelength base.
        """
        import keras
        from keras import ops

        class FourierFeatures(keras.layers.Layer):
            def call(self, x):
                proj = ops.matmul(x, self.kernel)
                return ops.concatenate([ops.sin(proj), ops.cos(proj)], axis=-1)
        """,
        # A table outside any Keras class (a NumPy helper module).
        """
        import numpy as np

        def table(n, d):
            pos = np.arange(n)[:, None]
            div = np.power(10000.0, np.arange(0, d, 2) / d)
            return np.concatenate([np.sin(pos / div), np.cos(pos / div)], axis=-1)
        """,
        # Rotary math (DLT403's business), not a position table.
        """
        import keras
        from keras import ops

        class Rope(keras.layers.Layer):
            def call(self, x, positions):
                inv_freq = 1.0 / (10000 ** (ops.arange(0, 8, 2) / 8))
                angles = positions[:, None] * inv_freq
                x1, x2 = ops.split(x, 2, axis=-1)
                return x * ops.cos(angles) + ops.concatenate([-x2, x1], axis=-1) * ops.sin(angles)
        """,
    ]
    INVALID = [
        # exp(-log(10000)) frequencies, concatenated table, NumPy.
        Invalid(
            """
            import numpy as np
            import keras

            class PositionalEncoding(keras.layers.Layer):
                def build(self, input_shape):
                    pos = np.arange(input_shape[1])[:, None]
                    div = np.exp(np.arange(0, 8, 2) * -(np.log(10000.0) / 8))
                    self.table = np.concatenate([np.sin(pos * div), np.cos(pos * div)], axis=-1)
            """,
        ),
        # 10000 ** (...) with even/odd column writes, a module-level helper, `keras as K`.
        Invalid(
            """
            import math
            import numpy as np
            import keras as K

            def make_table(n, d):
                pe = np.zeros((n, d))
                for p in range(n):
                    for i in range(0, d, 2):
                        pe[p, i] = math.sin(p / (10000 ** (i / d)))
                        pe[p, i + 1] = math.cos(p / (10000 ** (i / d)))
                return pe

            class SinusoidalPositions(K.layers.Layer):
                def build(self, input_shape):
                    self.table = make_table(input_shape[1], input_shape[2])
            """,
        ),
        # keras.ops with a configurable max_wavelength, interleaved with ops.stack.
        Invalid(
            """
            from keras import layers, ops

            class TimeEncoding(layers.Layer):
                def __init__(self, max_wavelength=10000.0, **kwargs):
                    super().__init__(**kwargs)
                    self.max_wavelength = max_wavelength

                def call(self, t):
                    freqs = ops.power(self.max_wavelength, -ops.arange(0, 16, 2) / 16)
                    angles = t[..., None] * freqs
                    s = ops.sin(angles)
                    c = ops.cos(angles)
                    return ops.reshape(ops.stack([s, c], axis=-1), (-1, 16))
            """,
        ),
    ]
