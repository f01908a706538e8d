"""DLT105: an attention class names its projection sub-layers ``query_proj`` ... ``output_proj``."""

from __future__ import annotations

import ast

from dlt_lint.astwalk import walk
from dlt_lint.diagnostics import Fix
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules._rename import plan_attr_rename, self_attributes

PROJECTION_NAMES = {
    "w_q": "query_proj", "q_dense": "query_proj", "q_linear": "query_proj",
    "w_k": "key_proj", "k_dense": "key_proj", "k_linear": "key_proj",
    "w_v": "value_proj", "v_dense": "value_proj", "v_linear": "value_proj",
    "w_o": "output_proj", "o_dense": "output_proj", "proj_dense": "output_proj",
}

# Calls that create a weight or tensor, not a sub-layer.
_NOT_LAYERS = frozenset({"add_weight", "add_variable", "Variable", "constant", "zeros", "ones"})


class ProjectionNames(Rule):
    """
    ## What it does
    Reports a projection sub-layer of an attention class stored under a non-standard
    attribute name: `w_q` / `q_dense` / `q_linear` (-> `query_proj`), `w_k` / `k_dense` /
    `k_linear` (-> `key_proj`), `w_v` / `v_dense` / `v_linear` (-> `value_proj`) and `w_o` /
    `o_dense` / `proj_dense` (-> `output_proj`). Only sub-layers count (a Keras layer, a
    project Keras class or a `create_*` factory call assigned to `self.<name>`); a weight
    created with `self.add_weight` may keep such a name.

    ## Why
    With one vocabulary across the attention layers, weight-loading code, tests and
    parameter surgery (freezing the query projection, LoRA on `value_proj`...) work for
    every layer without a per-layer table of attribute names.

    ## Example
    ```python
    self.w_q = keras.layers.Dense(dim)
    self.w_o = keras.layers.Dense(dim)
    ```

    ## Use instead
    ```python
    self.query_proj = keras.layers.Dense(dim)
    self.output_proj = keras.layers.Dense(dim)
    ```

    ## Fix safety
    Unsafe: the attribute path is part of how Keras saves weights, so `.keras` files saved
    before the rename no longer load into the renamed class, and code outside the class that
    reads `layer.w_q` breaks. The fix renames every `self.w_q` in the class; a `name="w_q"`
    string given to the sub-layer stays (it is the layer's own name). No fix when the new
    attribute already exists, when two old names would both become the same new name (only
    the first is fixed), or when the name is reached dynamically (`getattr(self, "w_q")`).
    """

    code = "DLT105"
    name = "attention-projection-names"
    summary = "attention projection sub-layer should be query_proj / key_proj / value_proj / output_proj"
    fix_availability = "unsafe"
    keras_only = True
    needles = tuple(PROJECTION_NAMES)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self.ctx.attention_class(node):
            return
        first: dict[str, ast.Attribute] = {}
        for attr in self_attributes(node):
            if attr.attr in PROJECTION_NAMES and isinstance(attr.ctx, ast.Store) \
                    and self._assigns_sublayer(node, attr):
                current = first.get(attr.attr)
                if current is None or (attr.lineno, attr.col_offset) < (current.lineno, current.col_offset):
                    first[attr.attr] = attr
        claimed: set[str] = set()
        for old, target in sorted(first.items(), key=lambda kv: (kv[1].lineno, kv[1].col_offset)):
            new = PROJECTION_NAMES[old]
            fix: Fix | None = None
            if new not in claimed:
                edits = plan_attr_rename(self.ctx, node, old, new)
                if edits:
                    fix = self.fix(f"Rename `self.{old}` to `self.{new}`", edits)
            claimed.add(new)
            self.report(target, f"Attention class `{node.name}` stores a projection sub-layer as "
                                f"`{old}`; the standard name is `{new}`", fix)

    def _assigns_sublayer(self, cls: ast.ClassDef, target: ast.Attribute) -> bool:
        for node in walk(cls):
            if isinstance(node, ast.Assign) and any(t is target for t in node.targets):
                return self._is_sublayer(node.value)
            if isinstance(node, ast.AnnAssign) and node.target is target:
                return node.value is not None and self._is_sublayer(node.value)
        return False

    def _is_sublayer(self, value: ast.expr) -> bool:
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        if isinstance(func, ast.Attribute):
            last = func.attr
        elif isinstance(func, ast.Name):
            last = func.id
        else:
            return False
        if last in _NOT_LAYERS:
            return False
        if last.startswith("create_"):
            return True
        qual = self.ctx.sem.resolve(func)
        if qual is not None and self.ctx.project.is_keras(qual):
            return True
        local = self.ctx.classes_by_name.get(last) if isinstance(func, ast.Name) else None
        return local is not None and self.ctx.keras_class(local)

    VALID = [
        """
        import keras

        class CleanAttention(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.query_proj = keras.layers.Dense(dim, name="w_q")
                self.output_proj = keras.layers.Dense(dim)
        """,
        # Weights (not sub-layers) may keep the short names.
        """
        import keras

        class LowRankAttention(keras.layers.Layer):
            def build(self, input_shape):
                self.w_q = self.add_weight(shape=(input_shape[-1], 8), name="w_q")
                super().build(input_shape)
        """,
        # Not an attention class.
        """
        import keras

        class TwoTower(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.q_dense = keras.layers.Dense(4)
        """,
        # Another object's attribute.
        """
        import keras

        class SharedAttention(keras.layers.Layer):
            def __init__(self, donor, **kwargs):
                super().__init__(**kwargs)
                self.query_proj = donor.w_q
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras
            from keras import layers

            class MyAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.w_q = layers.Dense(dim, name="w_q")
                    self.w_k = keras.layers.Dense(dim)
                    self.w_v = keras.layers.Dense(dim)
                    self.w_o = keras.layers.Dense(dim)

                def build(self, input_shape):
                    for sub in (self.w_q, self.w_k, self.w_v, self.w_o):
                        sub.build(input_shape)
                    super().build(input_shape)

                def call(self, x):
                    q, k, v = self.w_q(x), self.w_k(x), self.w_v(x)
                    return self.w_o(q * k * v)
            """,
            count=4,
            unsafe_fixes=True,
            expected_fixed="""
            import keras
            from keras import layers

            class MyAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.query_proj = layers.Dense(dim, name="w_q")
                    self.key_proj = keras.layers.Dense(dim)
                    self.value_proj = keras.layers.Dense(dim)
                    self.output_proj = keras.layers.Dense(dim)

                def build(self, input_shape):
                    for sub in (self.query_proj, self.key_proj, self.value_proj, self.output_proj):
                        sub.build(input_shape)
                    super().build(input_shape)

                def call(self, x):
                    q, k, v = self.query_proj(x), self.key_proj(x), self.value_proj(x)
                    return self.output_proj(q * k * v)
            """,
        ),
        # Factory-made and imported-class sub-layers; attention by module path.
        Invalid(
            """
            from keras.layers import Dense
            from dl_techniques.layers.ffn import create_ffn_layer

            from keras.layers import Layer

            class Mixer(Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.q_linear = Dense(dim)
                    self.proj_dense = create_ffn_layer("mlp", hidden_dim=dim, output_dim=dim)

                def call(self, x):
                    return self.proj_dense(self.q_linear(x))
            """,
            path="dl_techniques/layers/attention/mixer.py",
            count=2,
            unsafe_fixes=True,
            expected_fixed="""
            from keras.layers import Dense
            from dl_techniques.layers.ffn import create_ffn_layer

            from keras.layers import Layer

            class Mixer(Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.query_proj = Dense(dim)
                    self.output_proj = create_ffn_layer("mlp", hidden_dim=dim, output_dim=dim)

                def call(self, x):
                    return self.output_proj(self.query_proj(x))
            """,
        ),
        # The new name is taken: reported, no fix.
        Invalid(
            """
            import keras as K

            class DualAttention(K.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.o_dense = K.layers.Dense(dim)
                    self.output_proj = K.layers.Dense(dim)
            """,
            unsafe_fixes=True,
            expected_fixed=None,
        ),
        # Two old names for the query projection: both reported, the first fixed.
        Invalid(
            """
            import keras

            class TwinAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.q_dense = keras.layers.Dense(dim)
                    self.w_q = keras.layers.Dense(dim)
            """,
            count=2,
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class TwinAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.query_proj = keras.layers.Dense(dim)
                    self.w_q = keras.layers.Dense(dim)
            """,
        ),
    ]
