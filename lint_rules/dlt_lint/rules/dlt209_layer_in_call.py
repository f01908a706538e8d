"""DLT209: a layer or weight created inside call()."""

from __future__ import annotations

import ast

from dlt_lint.astwalk import walk
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules import _keras_class as kc


class LayerInCall(Rule):
    """
    ## What it does
    Reports, inside the `call()` method of a Keras class (helper functions defined inside
    `call()` included), the construction of a layer — a `keras.layers` class, a Keras class
    of the project, or a `dl_techniques` `create_*` factory — and calls to
    `self.add_weight(...)`.

    ## Why
    `call()` runs on every forward pass and is traced into graphs. A layer built there is a
    new, untracked layer each time: its weights are re-initialised on every call, never
    trained, never saved, and graph tracing can fail on variable creation. Sub-layers belong
    in `__init__`, weights in `build()`.

    ## Example
    ```python
    def call(self, inputs):
        return keras.layers.Dense(self.dim)(inputs)
    ```

    ## Use instead
    ```python
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.proj = keras.layers.Dense(dim)

    def call(self, inputs):
        return self.proj(inputs)
    ```

    ## Fix safety
    No fix: the layer has to be moved to `__init__` and built in `build()` by hand.
    """

    code = "DLT209"
    name = "layer-in-call"
    summary = "Layer or weight created inside call()"
    fix_availability = "none"
    needles = ("call",)
    keras_only = True

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls):
            return
        call = kc.method_of(cls, "call")
        if call is None:
            return
        me = kc.self_name(call)
        factories = kc.class_factories(ctx, cls)
        found = []
        for node in walk(call):
            if not isinstance(node, ast.Call) or node is call:
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr == "add_weight" \
                    and kc.self_attr(node.func, me) == "add_weight":
                found.append((node, "self.add_weight() called inside call(); create weights in build()"))
                continue
            made = kc.layer_call(ctx, node, me, factories)
            if made is not None:
                found.append((node, f"layer `{made}` created inside call(); create it in __init__()"))
        for node, message in sorted(found, key=lambda t: (t[0].lineno, t[0].col_offset)):
            self.report(node, message)

    VALID = [
        """
        import keras


        class Block(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.proj = keras.layers.Dense(dim)

            def build(self, input_shape):
                self.proj.build(input_shape)
                super().build(input_shape)

            def call(self, inputs):
                return keras.ops.relu(self.proj(inputs))
        """,
        # Functional helpers and layer lookups are not constructions.
        """
        from keras import layers as L


        class Merge(L.Layer):
            def call(self, inputs):
                if isinstance(inputs, L.Layer):
                    raise TypeError("expected tensors")
                return L.Layer.call(self, inputs)
        """,
        # A Model whose call() builds nothing new.
        Valid(
            """
            import keras
            from dl_techniques.layers.norms import create_normalization_layer


            class Net(keras.Model):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = create_normalization_layer("rms_norm")

                def call(self, inputs):
                    return self.norm(inputs)
            """,
            path="dl_techniques/models/net.py",
        ),
        # Not a Keras class.
        """
        class Pipeline:
            def call(self, x):
                return Dense(x)
        """,
    ]

    INVALID = [
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def call(self, inputs):
                    return keras.layers.Dense(self.dim)(inputs)
            """,
            message_contains="layer `Dense` created inside call()",
        ),
        # Aliased module; a weight; a layer in a helper defined inside call().
        Invalid(
            """
            from keras import layers as L


            class Block(L.Layer):
                def call(self, inputs):
                    scale = self.add_weight(shape=(1,))

                    def norm(x):
                        return L.LayerNormalization()(x)

                    return norm(inputs) * scale
            """,
            count=2,
        ),
        # A name from keras.layers, a project class of this file, a framework factory.
        Invalid(
            """
            import keras
            from keras.layers import Dropout
            from dl_techniques.layers.ffn import create_ffn_layer


            class Gate(keras.layers.Layer):
                def call(self, inputs):
                    return keras.ops.sigmoid(inputs)


            class Block(Gate):
                def call(self, inputs, training=None):
                    x = create_ffn_layer("mlp", hidden_dim=8, output_dim=8)(inputs)
                    x = Dropout(0.1)(x, training=training)
                    return Gate()(x)
            """,
            path="dl_techniques/layers/block.py",
            count=3,
        ),
    ]
