"""DLT104: an attention class calls its dropout probability ``dropout_rate``."""

from __future__ import annotations

from dlt_lint.rule import Invalid
from dlt_lint.rules._rename import ParamNameRule


class DropoutRateName(ParamNameRule):
    """
    ## What it does
    Reports an `__init__` parameter named `dropout`, `attn_dropout` or `attention_dropout`
    in an attention class. Only constructor parameters count: a sub-layer stored as
    `self.dropout = keras.layers.Dropout(...)` is a fine attribute name.

    ## Why
    The framework's layers take their dropout probability as `dropout_rate`; the attention
    factory and the transformer layer pass it under that name. A differently named argument
    is silently swallowed by `**kwargs` or rejected, depending on the caller.

    ## Example
    ```python
    class RelativeAttention(keras.layers.Layer):
        def __init__(self, dim, num_heads, dropout=0.0, **kwargs):
            ...
    ```

    ## Use instead
    ```python
    class RelativeAttention(keras.layers.Layer):
        def __init__(self, dim, num_heads, dropout_rate=0.0, **kwargs):
            ...
    ```

    ## Fix safety
    Unsafe: renaming a constructor parameter changes the public API. The fix renames the
    parameter, its uses in `__init__` (a `rate=dropout` argument becomes `rate=dropout_rate`),
    the `get_config` / `from_config` key, keywords of calls to the class in the same module,
    and the `self.` attribute only when it stores the parameter: `self.dropout =
    keras.layers.Dropout(dropout)` keeps its attribute name. No fix when `dropout_rate`
    already exists, when the name is reached dynamically, or when the parameter is forwarded
    to `super().__init__`.
    """

    code = "DLT104"
    name = "attention-dropout-rate-name"
    summary = ("attention class parameter `dropout` / `attn_dropout` / `attention_dropout` should "
               "be `dropout_rate`")
    needles = ("dropout",)
    FORBIDDEN = {"dropout": "dropout_rate", "attn_dropout": "dropout_rate",
                 "attention_dropout": "dropout_rate"}
    CONCEPT = "dropout rate"

    VALID = [
        # `dropout` as a sub-layer attribute, `dropout_rate` as the parameter.
        """
        import keras

        class RelativeAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, dropout_rate=0.0, **kwargs):
                super().__init__(**kwargs)
                self.dropout_rate = dropout_rate
                self.dropout = keras.layers.Dropout(dropout_rate)

            def call(self, x, training=None):
                return self.dropout(x, training=training)
        """,
        # Not an attention class.
        """
        import keras

        class Regulariser(keras.layers.Layer):
            def __init__(self, dropout=0.1, **kwargs):
                super().__init__(**kwargs)
                self.dropout = dropout
        """,
        # A keyword argument passed to another call is not a parameter.
        """
        import keras

        class WrappedAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, dropout_rate=0.0, **kwargs):
                super().__init__(**kwargs)
                self.mha = keras.layers.MultiHeadAttention(num_heads, dim, dropout=dropout_rate)
        """,
    ]
    INVALID = [
        # The parameter is renamed; the Dropout sub-layer keeps its attribute name.
        Invalid(
            """
            import keras

            class RelativeAttention(keras.layers.Layer):
                def __init__(self, dim, dropout=0.0, **kwargs):
                    super().__init__(**kwargs)
                    self.dropout = keras.layers.Dropout(rate=dropout)

                def call(self, x, training=None):
                    return self.dropout(x, training=training)

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": 1, "dropout": self.dropout.rate})
                    return config
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class RelativeAttention(keras.layers.Layer):
                def __init__(self, dim, dropout_rate=0.0, **kwargs):
                    super().__init__(**kwargs)
                    self.dropout = keras.layers.Dropout(rate=dropout_rate)

                def call(self, x, training=None):
                    return self.dropout(x, training=training)

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": 1, "dropout_rate": self.dropout.rate})
                    return config
            """,
        ),
        # Stored parameter: the attribute follows.
        Invalid(
            """
            from keras import layers

            class AxialAttention(layers.Layer):
                def __init__(self, dim, attn_dropout=0.0, **kwargs):
                    super().__init__(**kwargs)
                    self.attn_dropout = float(attn_dropout)
                    self.drop = layers.Dropout(self.attn_dropout)

                def get_config(self):
                    return dict(super().get_config(), dim=1, attn_dropout=self.attn_dropout)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            from keras import layers

            class AxialAttention(layers.Layer):
                def __init__(self, dim, dropout_rate=0.0, **kwargs):
                    super().__init__(**kwargs)
                    self.dropout_rate = float(dropout_rate)
                    self.drop = layers.Dropout(self.dropout_rate)

                def get_config(self):
                    return dict(super().get_config(), dim=1, dropout_rate=self.dropout_rate)
            """,
        ),
        # `dropout_rate` already taken: reported, no fix.
        Invalid(
            """
            import keras as K

            class HybridAttention(K.layers.Layer):
                def __init__(self, dim, dropout_rate=0.0, attention_dropout=0.0, **kwargs):
                    super().__init__(**kwargs)
            """,
            unsafe_fixes=True,
            expected_fixed=None,
        ),
    ]
