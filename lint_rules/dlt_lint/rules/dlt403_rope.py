"""DLT403: rotary position embeddings come from the embedding factory, not hand-written math."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from dlt_lint import registries as regs
from dlt_lint.astwalk import walk
from dlt_lint.context import FileContext
from dlt_lint.rule import Invalid, Rule, Valid

MATH_ROOTS = frozenset({"keras", "numpy", "math", "tensorflow", "jax", "torch"})
COMBINE = frozenset({"concatenate", "concat", "stack", "cat", "hstack", "vstack", "dstack"})
NEGATE = frozenset({"negative", "neg"})
ROTARY_HINTS = frozenset({"pos", "position", "positions", "freq", "freqs", "frequency", "frequencies",
                          "inv", "theta", "rope", "rotary", "angle", "angles", "seq", "timescale"})
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def tokens(identifier: str) -> set[str]:
    """``cos_cached`` -> {cos, cached}; ``invFreq`` -> {inv, freq}."""
    return {t.lower() for t in _TOKEN.findall(identifier)}


_TRIG_WORD = re.compile(r"\w*(?:[cC][oO][sS]|[sS][iI][nN])\w*")


def mentions_sin_and_cos(ctx: FileContext) -> bool:
    """The file's text names both a sine and a cosine (an identifier with such a token): a
    cheap test before the tree analysis, which cannot find trigonometry otherwise."""
    cached = ctx.__dict__.get("_dlt_sin_cos")
    if cached is None:
        words: set[str] = set()
        for ident in set(_TRIG_WORD.findall(ctx.source)):
            words |= tokens(ident)
        cached = ctx.__dict__["_dlt_sin_cos"] = bool(words & _SIN) and bool(words & _COS)
    return cached


def is_embedding_implementation(ctx: FileContext, cls: ast.ClassDef) -> bool:
    """``cls`` is one of the framework's position embeddings: it lives in an ``embedding``
    package or a factory registry of the project names it. That is where the math belongs."""
    if any(part in ("embedding", "embeddings") for part in ctx.sem.module.split(".")[:-1]):
        return True
    me = ctx.sem.qualify_local(cls.name)
    for registry in regs.project_registries(ctx):
        for entry in registry.entries.values():
            if entry.cls == me or (entry.cls and entry.cls.rpartition(".")[2] == cls.name
                                   and getattr(ctx.project.find_class(entry.cls), "qualname", None) == me):
                return True
    return False


def math_function(ctx: FileContext, call: ast.AST) -> str | None:
    """Last component of a numeric library function a call resolves to (``sin`` for
    ``ops.sin(x)``, ``np.sin``, ``math.sin``, ``tf.math.sin``...)."""
    if not isinstance(call, ast.Call):
        return None
    q = ctx.sem.resolve(call.func)
    if not q:
        return None
    root, _, _ = q.partition(".")
    if root not in MATH_ROOTS:
        return None
    return q.rpartition(".")[2]


def mentions(node: ast.AST, ctx: FileContext, words: frozenset[str]) -> bool:
    """``node`` contains an identifier, attribute or library function named with one of ``words``."""
    for sub in walk(node):
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
        if name is not None and tokens(name) & words:
            return True
    return False


def class_scope(ctx: FileContext, cls: ast.ClassDef) -> list[ast.AST]:
    """The class body plus the module-level functions of the same file that its methods call
    (transitively), where helper math usually lives."""
    module_funcs = {n.name: n for n in ctx.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    scope: list[ast.AST] = [cls]
    seen: set[str] = set()
    queue: list[ast.AST] = [cls]
    while queue:
        node = queue.pop()
        for sub in walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                target = module_funcs.get(sub.func.id)
                if target is not None and sub.func.id not in seen:
                    seen.add(sub.func.id)
                    scope.append(target)
                    queue.append(target)
    return scope


@dataclass
class TrigFacts:
    """What trigonometry a class (and its helpers) does."""

    sin_call: bool = False
    cos_call: bool = False
    rotate_half: list[ast.AST] = field(default_factory=list)  # concat/stack with a negated part
    rotation_pairs: list[ast.AST] = field(default_factory=list)  # concat/stack of two rotated parts
    apply_add: list[ast.AST] = field(default_factory=list)  # a*cos + b*sin
    apply_sub: list[ast.AST] = field(default_factory=list)  # a*cos - b*sin
    hint: bool = False  # names about positions / frequencies, or an arange

    @property
    def computes_sin_cos(self) -> bool:
        """Both sine and cosine are computed."""
        return self.sin_call and self.cos_call

    def rotary(self) -> ast.AST | None:
        """The node that shows rotary math, or None."""
        if not self.hint:
            return None
        if self.rotate_half and (self.computes_sin_cos or self.apply_add or self.apply_sub):
            return self.rotate_half[0]
        if self.rotation_pairs:
            return self.rotation_pairs[0]
        if self.apply_add and self.apply_sub:
            return self.apply_sub[0]
        return None


_SIN = frozenset({"sin", "sine", "sines"})
_COS = frozenset({"cos", "cosine", "cosines"})


def _trig_product(node: ast.AST, ctx: FileContext, words: frozenset[str]) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and (
        mentions(node, ctx, words) or any(math_function(ctx, s) in words for s in walk(node)))


def _rotation(node: ast.AST, ctx: FileContext) -> str | None:
    """``"add"`` / ``"sub"`` for ``a * cos ± b * sin`` (either order)."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Add, ast.Sub)):
        return None
    left, right = node.left, node.right
    if (_trig_product(left, ctx, _COS) and _trig_product(right, ctx, _SIN)) or \
            (_trig_product(left, ctx, _SIN) and _trig_product(right, ctx, _COS)):
        return "add" if isinstance(node.op, ast.Add) else "sub"
    return None


def _negated(node: ast.AST, ctx: FileContext) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
        return True
    return math_function(ctx, node) in NEGATE


def trig_facts(ctx: FileContext, cls: ast.ClassDef) -> TrigFacts:
    """Collect the trigonometric evidence of ``cls`` and its same-module helpers."""
    facts = TrigFacts()
    for root in class_scope(ctx, cls):
        for node in walk(root):
            fn = math_function(ctx, node)
            if fn in ("sin",):
                facts.sin_call = True
            elif fn in ("cos",):
                facts.cos_call = True
            elif fn in ("arange",):
                facts.hint = True
            if fn in COMBINE and isinstance(node, ast.Call) and node.args \
                    and isinstance(node.args[0], (ast.List, ast.Tuple)) and len(node.args[0].elts) >= 2:
                parts = node.args[0].elts
                if any(_negated(p, ctx) for p in parts):
                    facts.rotate_half.append(node)
                if sum(1 for p in parts if _rotation(p, ctx)) >= 2:
                    facts.rotation_pairs.append(node)
            kind = _rotation(node, ctx)
            if kind == "add":
                facts.apply_add.append(node)
            elif kind == "sub":
                facts.apply_sub.append(node)
            if isinstance(node, (ast.Name, ast.Attribute, ast.arg)):
                name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else node.arg
                if tokens(name) & ROTARY_HINTS:
                    facts.hint = True
    return facts


class HandWrittenRope(Rule):
    """
    ## What it does
    Reports a Keras class that implements rotary position embedding math itself: it rotates
    feature pairs by position-dependent angles, i.e. combines cosine / sine tables with a
    "rotate half" (a concatenation or stack in which one half is negated, `[-x2, x1]`) or with
    the explicit pair rotation `[x1*cos - x2*sin, x1*sin + x2*cos]` (interleaved form). Helper
    functions of the same module that the class calls count as part of the class. The
    framework's own embeddings are where this math belongs: classes in an `embedding` package
    and classes a factory registry of the project names are not reported.

    ## Why
    The framework provides rotary embeddings (`rope`, `dual_rope`, `continuous_rope`) through
    `create_embedding_layer(...)`: one tested implementation with consistent conventions
    (half-split layout, `rope_theta`, partial rotation). Hand-written copies drift: mixed
    interleaved / half-split layouts silently break pretrained weights and caching.

    ## Example
    ```python
    class MyAttention(keras.layers.Layer):
        def apply_rope(self, x, positions):
            angles = positions[:, None] * self.inv_freq[None, :]
            cos, sin = ops.cos(angles), ops.sin(angles)
            x1, x2 = ops.split(x, 2, axis=-1)
            return x * cos + ops.concatenate([-x2, x1], axis=-1) * sin
    ```

    ## Use instead
    ```python
    from dl_techniques.layers.embedding import create_embedding_layer

    self.rope = create_embedding_layer("rope", head_dim=self.head_dim, max_seq_len=max_seq_len)
    q = self.rope(q)
    ```

    ## Fix safety
    No fix: replacing the math needs the layer's head dimension, maximum length and layout,
    which the linter cannot infer safely.
    """

    code = "DLT403"
    name = "hand-written-rope"
    summary = "Hand-written rotary position embedding math; use create_embedding_layer('rope', ...)"
    keras_only = True
    needles = ("cos",)  # both patterns need a cosine; "sin" alone is in too many words

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Check one class."""
        if not self.ctx.keras_class(node) or not mentions_sin_and_cos(self.ctx):
            return
        if rotary_node(self.ctx, node) is not None and not is_embedding_implementation(self.ctx, node):
            self.report(self.ctx.name_range(node),
                        f"`{node.name}` hand-writes rotary position embedding math (cos/sin with a "
                        "rotated half); use create_embedding_layer(\"rope\", ...)")

    VALID = [
        # The framework way.
        """
        import keras
        from dl_techniques.layers.embedding import create_embedding_layer

        class RopeAttention(keras.layers.Layer):
            def __init__(self, head_dim, **kwargs):
                super().__init__(**kwargs)
                self.rope = create_embedding_layer("rope", head_dim=head_dim, max_seq_len=128)

            def call(self, q):
                return self.rope(q)
        """,
        # Sin/cos Fourier features: no rotation.
        """
        import keras
        from keras import ops

        class FourierFeatures(keras.layers.Layer):
            def call(self, x):
                return ops.concatenate([ops.sin(x), ops.cos(x)], axis=-1)
        """,
        # A negated concatenation without any trigonometry (CReLU).
        """
        import keras
        from keras import ops

        class CReLU(keras.layers.Layer):
            def call(self, x):
                return ops.relu(ops.concatenate([x, -x], axis=-1))
        """,
        # Rotary math outside any Keras class (a plain helper module) is not in scope.
        """
        import numpy as np

        def rotate(x, positions, inv_freq):
            angles = np.outer(positions, inv_freq)
            x1, x2 = np.split(x, 2, axis=-1)
            return x * np.cos(angles) + np.concatenate([-x2, x1], axis=-1) * np.sin(angles)
        """,
        # The framework's own implementation, in its embedding package.
        Valid(
            """
            import keras
            from keras import ops

            class RotaryPositionEmbedding(keras.layers.Layer):
                def call(self, x, positions, inv_freq):
                    angles = positions[:, None] * inv_freq[None, :]
                    cos, sin = ops.cos(angles), ops.sin(angles)
                    x1, x2 = ops.split(x, 2, axis=-1)
                    return x * cos + ops.concatenate([-x2, x1], axis=-1) * sin
            """,
            path="mylib/layers/embedding/rotary_position_embedding.py",
        ),
    ]
    INVALID = [
        # Rotate-half inside a method, keras.ops spelling.
        Invalid(
            """
            import keras
            from keras import ops

            class RopeAttention(keras.layers.Layer):
                def apply_rope(self, x, positions):
                    inv_freq = 1.0 / (10000 ** (ops.arange(0, 8, 2) / 8))
                    angles = positions[:, None] * inv_freq[None, :]
                    cos, sin = ops.cos(angles), ops.sin(angles)
                    x1, x2 = ops.split(x, 2, axis=-1)
                    return x * cos + ops.concatenate([-x2, x1], axis=-1) * sin
            """,
        ),
        # Helper functions at module level, numpy tables in build, ops.negative, aliases.
        Invalid(
            """
            import numpy as np
            import keras as K

            def rotate_half(x):
                a, b = K.ops.split(x, 2, axis=-1)
                return K.ops.concatenate([K.ops.negative(b), a], axis=-1)

            def apply_rotary(x, cos_table, sin_table):
                return x * cos_table + rotate_half(x) * sin_table

            class Rotary(K.layers.Layer):
                def build(self, input_shape):
                    pos = np.arange(16)[:, None]
                    self.cos_table = np.cos(pos)
                    self.sin_table = np.sin(pos)

                def call(self, x):
                    return apply_rotary(x, self.cos_table, self.sin_table)
            """,
        ),
        # Interleaved pair rotation, tf spelling via `from tensorflow import math as tfm`.
        Invalid(
            """
            from tensorflow import math as tfm
            from keras import layers, ops

            class InterleavedRope(layers.Layer):
                def call(self, x, freqs):
                    cos, sin = tfm.cos(freqs), tfm.sin(freqs)
                    x1, x2 = x[..., ::2], x[..., 1::2]
                    out = ops.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)
                    return ops.reshape(out, ops.shape(x))
            """,
        ),
    ]


def rotary_node(ctx: FileContext, cls: ast.ClassDef) -> ast.AST | None:
    """The node proving that ``cls`` hand-writes rotary math (cached per class)."""
    cache = ctx.__dict__.setdefault("_dlt_rotary", {})
    if id(cls) not in cache:
        cache[id(cls)] = trig_facts(ctx, cls).rotary()
    return cache[id(cls)]
