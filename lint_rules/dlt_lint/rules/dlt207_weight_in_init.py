"""DLT207: self.add_weight(...) called in __init__()."""

from __future__ import annotations

import ast

from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules import _keras_class as kc


class WeightInInit(Rule):
    """
    ## What it does
    Reports `self.add_weight(...)` executed by the `__init__` of a Keras class (code in a
    function merely defined inside `__init__` is not counted).

    ## Why
    Weights depend on the input shape, which `__init__` does not know; they belong in
    `build()`. Weights created in the constructor exist before the layer is built, which
    breaks the create-in-`__init__` / build-in-`build()` split the framework relies on for
    saving and loading: the weight order and names can differ between the saved and the
    reloaded layer, and shape-dependent sizes end up hard-coded.

    ## Example
    ```python
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.scale = self.add_weight(shape=(dim,), initializer="ones")
    ```

    ## Use instead
    ```python
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(self.dim,), initializer="ones")
        super().build(input_shape)
    ```

    ## Fix safety
    No fix: moving weight creation changes when and with which shape the weight exists.
    """

    code = "DLT207"
    name = "weight-in-init"
    summary = "self.add_weight() called in __init__(); create weights in build()"
    fix_availability = "none"
    needles = ("add_weight",)
    keras_only = True

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls):
            return
        init = kc.method_of(cls, "__init__")
        if init is None:
            return
        me = kc.self_name(init)
        calls = [n for n in kc.walk_local(init)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr == "add_weight" and kc.self_attr(n.func, me) == "add_weight"]
        for call in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
            self.report(call, "self.add_weight() called in __init__(); create weights in build()")

    VALID = [
        """
        import keras


        class Scale(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim

            def build(self, input_shape):
                self.scale = self.add_weight(shape=(self.dim,), initializer="ones")
                super().build(input_shape)
        """,
        # Defined in __init__, run later.
        """
        from keras import layers as L


        class Lazy(L.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self._make = lambda: self.add_weight(shape=(dim,))

                def make_bias():
                    return self.add_weight(shape=(dim,))

                self._make_bias = make_bias
        """,
        # Not a Keras class.
        """
        class Store:
            def __init__(self):
                self.w = self.add_weight("w")

            def add_weight(self, name):
                return name
        """,
    ]

    INVALID = [
        Invalid(
            """
            import keras


            class Scale(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.scale = self.add_weight(shape=(dim,), initializer="ones")
            """,
            message_contains="self.add_weight() called in __init__()",
        ),
        # Aliased module, two weights, one under a condition.
        Invalid(
            """
            from keras import layers as L


            class Affine(L.Layer):
                def __init__(self, dim, use_bias=True, **kwargs):
                    super().__init__(**kwargs)
                    self.kernel = self.add_weight(shape=(dim, dim))
                    if use_bias:
                        self.bias = self.add_weight(shape=(dim,))
            """,
            count=2,
        ),
        # Name imported from keras.layers, inheritance inside the file, a model.
        Invalid(
            """
            import keras
            from keras.layers import Layer


            class Base(Layer):
                pass


            class Child(Base):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.alpha = self.add_weight(shape=(), initializer="zeros")


            class Net(keras.Model):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    for i in range(2):
                        setattr(self, f"w{i}", self.add_weight(shape=(1,)))
            """,
            count=2,
        ),
    ]
