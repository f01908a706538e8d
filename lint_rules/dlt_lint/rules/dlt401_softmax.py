"""DLT401: attention classes normalise their scores through ProbabilityOutput, not a softmax."""

from __future__ import annotations

import ast
from typing import Iterator

from dlt_lint import keras_facts as kf
from dlt_lint.astwalk import iter_child_nodes, walk
from dlt_lint.rule import Invalid, Rule

SOFTMAX_FUNCTIONS = frozenset({
    "keras.ops.softmax", "keras.ops.nn.softmax", "keras.activations.softmax",
    "keras.activations.activations.softmax", "keras.backend.softmax",
    "tensorflow.nn.softmax", "tensorflow.math.softmax",
    "jax.nn.softmax", "torch.softmax", "torch.nn.functional.softmax", "scipy.special.softmax",
})
SOFTMAX_LAYERS = frozenset({"keras.layers.Softmax", "keras.layers.activations.Softmax"})
ACTIVATION_LAYER = "keras.layers.Activation"
PROBABILITY_MODULE = "dl_techniques.layers.activations"
PROBABILITY_CLASS = "ProbabilityOutput"
ATTRIBUTE = "score_activation"


def iter_class_nodes(cls: ast.ClassDef) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
    """Every node inside ``cls`` except those of nested classes, with the chain of enclosing
    functions / lambdas (outermost first)."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(child, []) for child in reversed(cls.body)]
    while stack:
        node, chain = stack.pop()
        if isinstance(node, ast.ClassDef):
            continue
        yield node, chain
        inner = chain + [node] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else chain
        for child in reversed(iter_child_nodes(node)):
            stack.append((child, inner))


def self_attribute(node: ast.AST) -> str | None:
    """``name`` for ``self.name``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def is_super_call(stmt: ast.stmt, method: str) -> bool:
    """``super().<method>(...)`` (or ``super(Cls, self).<method>(...)``) as a statement."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    func = stmt.value.func
    return (isinstance(func, ast.Attribute) and func.attr == method
            and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "super")


def _int_literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return str(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int:
        return f"-{node.operand.value}"
    return None


class HardcodedSoftmax(Rule):
    """
    ## What it does
    Reports a softmax written directly inside an attention class: a call of `ops.softmax`,
    `keras.ops.nn.softmax`, `keras.activations.softmax` or `tf.nn.softmax` (any import
    spelling), a `keras.layers.Softmax` layer, a softmax function passed as a value, or a
    Keras layer built with `activation="softmax"`. Softmax outside attention classes (a
    classification head) is not reported.

    ## Why
    The framework normalises attention scores through one configurable component,
    `ProbabilityOutput`, so that the same layer can run with softmax, sparsemax, threshmax or
    entropy-adaptive normalisation by configuration. A hard-coded softmax locks the layer to
    one normaliser.

    ## Example
    ```python
    class TinyAttention(keras.layers.Layer):
        def call(self, scores):
            return keras.ops.softmax(scores, axis=-1)
    ```

    ## Use instead
    ```python
    from dl_techniques.layers.activations import ProbabilityOutput

    class TinyAttention(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.score_activation = ProbabilityOutput(
                probability_type="softmax", type_config={"axis": -1})

        def call(self, scores):
            return self.score_activation(scores)
    ```

    ## Fix safety
    Unsafe: the fix adds a `score_activation` sub-layer in `__init__` (right after
    `super().__init__(...)`), imports `ProbabilityOutput`, and replaces the call by
    `self.score_activation(x)`. It changes the layer's sub-layer structure (the saved model
    gains a weightless sub-layer). It is offered only for a plain call `softmax(x)` /
    `softmax(x, axis=<int>)` of Keras or TensorFlow inside a method with `self` (not
    `__init__`), in a class whose `__init__` calls `super().__init__` and where
    `self.score_activation` is free (or already holds the same `ProbabilityOutput`). When the class has a `build()`, the sub-layer is built
    there with `self.score_activation.build(None)`: a softmax has no weights, so building needs
    no shape, and the scores' shape is not known statically. Scores cast to `float32` for a
    numerically safe softmax get a sub-layer with `dtype="float32"`: a layer casts its inputs
    to its compute dtype, which is `float16` under mixed precision.
    """

    code = "DLT401"
    name = "hardcoded-softmax"
    summary = "Attention class normalises scores with a hard-coded softmax instead of ProbabilityOutput"
    fix_availability = "unsafe"
    keras_only = True
    needles = ("softmax", "Softmax")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Check one class."""
        if not self.ctx.attention_class(node):
            return
        call_funcs: set[int] = set()
        for sub, chain in iter_class_nodes(node):
            if isinstance(sub, ast.Call):
                call_funcs.add(id(sub.func))
                self._check_call(node, sub, chain)
            elif isinstance(sub, (ast.Name, ast.Attribute)) and id(sub) not in call_funcs \
                    and isinstance(getattr(sub, "ctx", None), ast.Load):
                q = self.ctx.sem.resolve(sub)
                if q in SOFTMAX_FUNCTIONS:
                    self.report(sub, f"attention class `{node.name}` uses `{q}` as a function value; "
                                     "normalise scores with ProbabilityOutput")

    def _check_call(self, cls: ast.ClassDef, call: ast.Call, chain: list[ast.AST]) -> None:
        q = self.ctx.sem.resolve(call.func)
        if q in SOFTMAX_FUNCTIONS:
            self.report(call, f"hard-coded `{q}` in attention class `{cls.name}`; normalise scores "
                              "with ProbabilityOutput", self._fix(cls, call, q, chain))
        elif q in SOFTMAX_LAYERS:
            self.report(call, f"`keras.layers.Softmax` in attention class `{cls.name}`; normalise "
                              "scores with ProbabilityOutput")
        elif q and q.startswith("keras.layers."):
            for kw in call.keywords:
                if kw.arg == "activation" and isinstance(kw.value, ast.Constant) \
                        and kw.value.value == "softmax":
                    self.report(kw, f"`activation=\"softmax\"` in attention class `{cls.name}`; "
                                    "normalise scores with ProbabilityOutput")
            if q == ACTIVATION_LAYER and call.args and isinstance(call.args[0], ast.Constant) \
                    and call.args[0].value == "softmax":
                self.report(call, f"`Activation(\"softmax\")` in attention class `{cls.name}`; "
                                  "normalise scores with ProbabilityOutput")

    # ------------------------------------------------------------------ fix
    def _fix(self, cls: ast.ClassDef, call: ast.Call, q: str, chain: list[ast.AST]):
        if not q.startswith(("keras.", "tensorflow.")):
            return None
        if any(isinstance(a, ast.Starred) for a in call.args) or len(call.args) not in (1, 2):
            return None
        axis_node = call.args[1] if len(call.args) == 2 else None
        for kw in call.keywords:
            if kw.arg != "axis" or axis_node is not None:
                return None
            axis_node = kw.value
        axis = "-1" if axis_node is None else _int_literal(axis_node)
        if axis is None:
            return None
        if not self._self_available(cls, chain):
            return None
        init = kf.find_method(cls, "__init__")
        if init is None:
            return None
        super_init = next((s for s in init.body if is_super_call(s, "__init__")), None)
        if super_init is None:
            return None
        replacement = self.ctx.replace(call, f"self.{ATTRIBUTE}({self.ctx.text(call.args[0])})")
        state = self._attribute_state(cls, axis)
        float32 = self._wants_float32(call.args[0], chain)
        if state == "taken" or (state == "reusable" and float32):
            return None
        if state == "reusable":
            return self.fix("Call the existing self.score_activation", [replacement])
        imp, local = self._import()
        if local is None:
            return None
        indent = self.ctx.indent_of(super_init.lineno)
        # Scores cast to float32 for a numerically safe softmax stay float32: a sub-layer's
        # inputs are cast to its compute dtype (float16 under mixed precision) otherwise.
        dtype = ', dtype="float32"' if float32 else ""
        edits = [self.ctx.insert_line_after(
            self.ctx.last_line(super_init),
            f'{indent}self.{ATTRIBUTE} = {local}(probability_type="softmax", '
            f'type_config={{"axis": {axis}}}, name="{ATTRIBUTE}"{dtype})')]
        build = kf.find_method(cls, "build")
        if build is not None:
            edit = self._build_edit(build)
            if edit is None:
                return None
            edits.append(edit)
        edits.append(replacement)
        if imp is not None:
            edits.insert(0, imp)
        return self.fix("Use a ProbabilityOutput sub-layer (self.score_activation)", edits)

    @staticmethod
    def _wants_float32(arg: ast.expr, chain: list[ast.AST]) -> bool:
        """The softmax input is cast to float32: in the argument itself, or where the name it
        passes is assigned in the same method."""
        def mentions(node: ast.AST) -> bool:
            return any(isinstance(n, ast.Constant) and n.value == "float32" for n in walk(node))

        if mentions(arg):
            return True
        if isinstance(arg, ast.Name) and chain:
            for node in walk(chain[-1]):
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if any(isinstance(t, ast.Name) and t.id == arg.id for t in targets) and mentions(node.value):
                        return True
        return False

    def _self_available(self, cls: ast.ClassDef, chain: list[ast.AST]) -> bool:
        if not chain or not isinstance(chain[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        method = chain[0]
        if method not in cls.body or method.name == "__init__":
            return False  # in __init__ the sub-layer may not exist yet where the call runs
        for dec in method.decorator_list:
            if isinstance(dec, ast.Name) and dec.id in ("staticmethod", "classmethod"):
                return False
        positional = method.args.posonlyargs + method.args.args
        if not positional or positional[0].arg != "self":
            return False
        for inner in chain[1:]:
            args = inner.args  # type: ignore[attr-defined]
            names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            if "self" in names:
                return False
        return True

    def _attribute_state(self, cls: ast.ClassDef, axis: str) -> str:
        """``free``, ``reusable`` (already the same ProbabilityOutput) or ``taken``."""
        state = "free"
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.name == ATTRIBUTE:
                return "taken"
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if any(isinstance(t, ast.Name) and t.id == ATTRIBUTE for t in targets):
                    return "taken"
        for sub, _chain in iter_class_nodes(cls):
            if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                if any(self_attribute(t) == ATTRIBUTE for t in targets):
                    if state == "free" and isinstance(sub, ast.Assign) and self._same_output(sub.value, axis):
                        state = "reusable"
                    else:
                        return "taken"
        return state

    def _same_output(self, value: ast.AST, axis: str) -> bool:
        if not isinstance(value, ast.Call):
            return False
        q = self.ctx.sem.resolve(value.func)
        if not q or not q.endswith("." + PROBABILITY_CLASS):
            return False
        kws = {kw.arg: kw.value for kw in value.keywords}
        ptype = kws.get("probability_type", value.args[0] if value.args else None)
        if not (isinstance(ptype, ast.Constant) and ptype.value == "softmax"):
            return False
        config = kws.get("type_config", value.args[1] if len(value.args) > 1 else None)
        if not isinstance(config, ast.Dict):
            return False
        for k, v in zip(config.keys, config.values):
            if isinstance(k, ast.Constant) and k.value == "axis":
                return _int_literal(v) == axis
        return axis == "-1" and not config.keys

    def _import(self):
        for local, qual in self.ctx.sem.imports.names.items():
            if qual.startswith(PROBABILITY_MODULE + ".") and qual.endswith("." + PROBABILITY_CLASS):
                return None, local
        return self.ctx.import_edit(PROBABILITY_MODULE, PROBABILITY_CLASS)

    def _build_edit(self, build: ast.FunctionDef | ast.AsyncFunctionDef):
        line = f"self.{ATTRIBUTE}.build(None)"
        for stmt in build.body:
            if is_super_call(stmt, "build"):
                return self.ctx.insert_line_before(stmt.lineno, self.ctx.indent_of(stmt.lineno) + line)
        last = build.body[-1]
        if isinstance(last, (ast.Return, ast.Raise)):
            return None
        return self.ctx.insert_line_after(self.ctx.last_line(last), self.ctx.body_indent(build) + line)

    VALID = [
        # A classification head is not an attention class.
        """
        import keras
        from keras import ops

        class ClassifierHead(keras.layers.Layer):
            def call(self, x):
                return ops.softmax(x, axis=-1)
        """,
        """
        import keras

        class Classifier(keras.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.head = keras.layers.Dense(10, activation="softmax")
        """,
        # A plain (non-Keras) helper named like an attention thing.
        """
        import numpy as np

        class AttentionReport:
            def weights(self, scores):
                return np.exp(scores) / np.exp(scores).sum()
        """,
        # The framework way.
        """
        import keras
        from dl_techniques.layers.activations import ProbabilityOutput

        class GoodAttention(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.score_activation = ProbabilityOutput(probability_type="softmax",
                                                          type_config={"axis": -1})

            def call(self, scores):
                return self.score_activation(scores)
        """,
        # log_softmax is a different function; a local function named softmax is unknown.
        """
        import keras
        from keras import ops

        def softmax(x):
            return x

        class OddAttention(keras.layers.Layer):
            def call(self, x):
                return ops.log_softmax(x) + softmax(x)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras
            from keras import ops

            class TinyAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def call(self, scores):
                    return ops.softmax(scores, axis=-1)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras
            from keras import ops
            from dl_techniques.layers.activations import ProbabilityOutput

            class TinyAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.score_activation = ProbabilityOutput(probability_type="softmax", type_config={"axis": -1}, name="score_activation")
                    self.dim = dim

                def call(self, scores):
                    return self.score_activation(scores)
            """,
        ),
        # Alias import, positional axis, a build() method, two calls: one sub-layer, reused.
        Invalid(
            """
            import keras as K

            class PairAttention(K.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)

                def build(self, input_shape):
                    super().build(input_shape)

                def call(self, a, b):
                    return K.ops.nn.softmax(a, 2) + K.ops.softmax(b, axis=2)
            """,
            count=2,
            unsafe_fixes=True,
            expected_fixed="""
            import keras as K
            from dl_techniques.layers.activations import ProbabilityOutput

            class PairAttention(K.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.score_activation = ProbabilityOutput(probability_type="softmax", type_config={"axis": 2}, name="score_activation")

                def build(self, input_shape):
                    self.score_activation.build(None)
                    super().build(input_shape)

                def call(self, a, b):
                    return self.score_activation(a) + self.score_activation(b)
            """,
        ),
        # Name imported directly, keras.activations; no fix without super().__init__ (the safe
        # default of not guessing where the sub-layer goes).
        Invalid(
            """
            from keras.activations import softmax
            from keras.layers import Layer

            class ScoreAttention(Layer):
                def call(self, scores):
                    return softmax(scores)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            from keras.activations import softmax
            from keras.layers import Layer

            class ScoreAttention(Layer):
                def call(self, scores):
                    return softmax(scores)
            """,
        ),
        # TensorFlow spelling in a module of an attention package (class name without "Attention").
        Invalid(
            """
            import tensorflow as tf
            import keras

            class Mixer(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)

                def call(self, scores):
                    weights = tf.nn.softmax(scores)
                    return weights
            """,
            path="pkg/layers/attention/mixer.py",
            unsafe_fixes=True,
            expected_fixed="""
            import tensorflow as tf
            import keras
            from dl_techniques.layers.activations import ProbabilityOutput

            class Mixer(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.score_activation = ProbabilityOutput(probability_type="softmax", type_config={"axis": -1}, name="score_activation")

                def call(self, scores):
                    weights = self.score_activation(scores)
                    return weights
            """,
        ),
        # Layer forms: keras.layers.Softmax, activation="softmax", Activation("softmax"),
        # and a softmax function passed as a value (no fix for any of them).
        Invalid(
            """
            from keras import layers as L, ops

            class HeadAttention(L.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.norm_scores = L.Softmax(axis=-1)
                    self.gate = L.Dense(4, activation="softmax")
                    self.act = L.Activation("softmax")
                    self.fn = ops.softmax
            """,
            count=4,
        ),
        # Non-literal axis: reported, not fixed.
        Invalid(
            """
            import keras

            class AxisAttention(keras.layers.Layer):
                def __init__(self, axis=-1, **kwargs):
                    super().__init__(**kwargs)
                    self.axis = axis

                def call(self, scores):
                    return keras.ops.softmax(scores, axis=self.axis)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class AxisAttention(keras.layers.Layer):
                def __init__(self, axis=-1, **kwargs):
                    super().__init__(**kwargs)
                    self.axis = axis

                def call(self, scores):
                    return keras.ops.softmax(scores, axis=self.axis)
            """,
        ),
        # A float32 softmax stays float32.
        Invalid(
            """
            import keras
            from keras import ops

            class CastAttention(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)

                def call(self, scores):
                    scores = ops.cast(scores, "float32")
                    return ops.softmax(scores)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras
            from keras import ops
            from dl_techniques.layers.activations import ProbabilityOutput

            class CastAttention(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.score_activation = ProbabilityOutput(probability_type="softmax", type_config={"axis": -1}, name="score_activation", dtype="float32")

                def call(self, scores):
                    scores = ops.cast(scores, "float32")
                    return self.score_activation(scores)
            """,
        ),
    ]
