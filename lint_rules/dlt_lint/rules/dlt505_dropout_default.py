"""DLT505 (preview): transformer and attention constructors default dropout to 0.0."""

from __future__ import annotations

import ast

from dlt_lint import keras_facts as kf
from dlt_lint.rule import Invalid, Rule


def _positive_number(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value > 0


class TransformerDropoutDefault(Rule):
    """
    ## What it does
    Reports an `__init__` parameter of an attention class, or of a Keras class whose name
    contains `Transformer`, whose name contains `dropout` (`dropout_rate`,
    `attention_dropout_rate`, `ffn_dropout`, ...) and whose default is a number above 0.0.
    Boolean switches (`use_dropout=True`) and defaults that are not literal numbers are not
    reported.

    ## Why
    Current large transformer recipes train without dropout; the framework's convention is a
    default of 0.0 so that dropout is an explicit opt-in for small models and small data.

    ## Example
    ```python
    class TransformerBlock(keras.layers.Layer):
        def __init__(self, dim, dropout_rate=0.1, **kwargs):
            ...
    ```

    ## Use instead
    ```python
    class TransformerBlock(keras.layers.Layer):
        def __init__(self, dim, dropout_rate=0.0, **kwargs):
            ...
    ```

    ## Fix safety
    No fix: changing a default changes the behaviour of every caller relying on it.
    """

    code = "DLT505"
    name = "transformer-dropout-default"
    summary = "Dropout default above 0.0 in a transformer or attention constructor"
    preview = True
    keras_only = True
    needles = ("dropout",)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Check one class."""
        if not self.ctx.keras_class(node):
            return
        if not (self.ctx.attention_class(node) or "transformer" in node.name.lower()):
            return
        init = kf.find_method(node, "__init__")
        if init is None:
            return
        args = init.args
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        for arg, default in pairs:
            if "dropout" in arg.arg.lower() and _positive_number(default):
                assert default is not None
                self.report(default, f"`{node.name}.__init__` defaults `{arg.arg}` to "
                                     f"{self.ctx.text(default)}; transformer and attention layers "
                                     "default dropout to 0.0")

    VALID = [
        """
        import keras

        class TransformerBlock(keras.layers.Layer):
            def __init__(self, dim, dropout_rate=0.0, use_dropout=True, **kwargs):
                super().__init__(**kwargs)
        """,
        # Not a transformer or attention class: a small MLP may default to some dropout.
        """
        import keras

        class Classifier(keras.layers.Layer):
            def __init__(self, dropout_rate=0.1, **kwargs):
                super().__init__(**kwargs)
        """,
        # A default taken from a constant is not a literal.
        """
        import keras

        DEFAULT_DROPOUT = 0.1

        class CrossAttention(keras.layers.Layer):
            def __init__(self, dropout_rate=DEFAULT_DROPOUT, **kwargs):
                super().__init__(**kwargs)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class TransformerBlock(keras.layers.Layer):
                def __init__(self, dim, dropout_rate=0.1, **kwargs):
                    super().__init__(**kwargs)
            """,
            message_contains="defaults `dropout_rate` to 0.1",
        ),
        # Attention class by name, `from keras import layers as L`, keyword-only parameters.
        Invalid(
            """
            from keras import layers as L

            class WindowAttention(L.Layer):
                def __init__(self, dim, *, attention_dropout_rate=0.05, proj_dropout=1, **kwargs):
                    super().__init__(**kwargs)
            """,
            count=2,
        ),
        # Attention class by module path (an attention package), base imported by name.
        Invalid(
            """
            from keras.layers import Layer

            class Mixer(Layer):
                def __init__(self, dim, dropout=0.2, **kwargs):
                    super().__init__(**kwargs)
            """,
            path="pkg/layers/attention/mixer.py",
        ),
    ]
