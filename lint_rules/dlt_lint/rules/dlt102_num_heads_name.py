"""DLT102: an attention class calls its head count ``num_heads``."""

from __future__ import annotations

from dlt_lint.rule import Invalid
from dlt_lint.rules._rename import ParamNameRule


class NumHeadsName(ParamNameRule):
    """
    ## What it does
    Reports an `__init__` parameter named `heads`, `n_heads`, `n_head`, `nheads` or
    `num_attention_heads` in an attention class (a Keras class named `*Attention*`, defined
    in an `attention` module or registered in the attention factory).

    ## Why
    Every attention layer of the framework takes its head count as `num_heads`, the name the
    attention factory, the transformer layer and saved configs pass. A differently named
    argument makes the layer impossible to swap in by configuration.

    ## Example
    ```python
    class LinearAttention(keras.layers.Layer):
        def __init__(self, dim, heads=8, **kwargs):
            ...
    ```

    ## Use instead
    ```python
    class LinearAttention(keras.layers.Layer):
        def __init__(self, dim, num_heads=8, **kwargs):
            ...
    ```

    ## Fix safety
    Unsafe: renaming a constructor parameter changes the public API. The fix renames the
    parameter, its uses in `__init__`, the `self.` attribute that stores it, the
    `get_config` / `from_config` key and keywords of calls to the class in the same module.
    No fix when `num_heads` already exists, when two old spellings would both become
    `num_heads` (only the first is fixed), when the name is reached dynamically, or when the
    parameter is forwarded to `super().__init__`.
    """

    code = "DLT102"
    name = "attention-num-heads-name"
    summary = "attention class parameter `heads` / `n_heads` / ... should be `num_heads`"
    needles = ("heads", "n_head")
    FORBIDDEN = {name: "num_heads" for name in
                 ("heads", "n_heads", "n_head", "nheads", "num_attention_heads")}
    CONCEPT = "head count"

    VALID = [
        """
        import keras

        class WindowAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, **kwargs):
                super().__init__(**kwargs)
                self.num_heads = num_heads
        """,
        # Not an attention class.
        """
        import keras

        class ClassifierHead(keras.layers.Layer):
            def __init__(self, heads, **kwargs):
                super().__init__(**kwargs)
                self.heads = heads
        """,
        # A local variable called `heads` is not a parameter.
        """
        import keras

        class PooledAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, **kwargs):
                super().__init__(**kwargs)
                heads = num_heads
                self.num_heads = heads
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class LinearAttention(keras.layers.Layer):
                def __init__(self, dim, heads=8, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.heads = heads
                    self.head_dim = dim // heads

                def call(self, x):
                    b = keras.ops.shape(x)[0]
                    return keras.ops.reshape(x, (b, -1, self.heads, self.head_dim))

                def get_config(self):
                    return {**super().get_config(), "dim": self.dim, "heads": self.heads}

                @classmethod
                def from_config(cls, config):
                    config = dict(config)
                    config.setdefault("heads", 8)
                    return cls(**config)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class LinearAttention(keras.layers.Layer):
                def __init__(self, dim, num_heads=8, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.num_heads = num_heads
                    self.head_dim = dim // num_heads

                def call(self, x):
                    b = keras.ops.shape(x)[0]
                    return keras.ops.reshape(x, (b, -1, self.num_heads, self.head_dim))

                def get_config(self):
                    return {**super().get_config(), "dim": self.dim, "num_heads": self.num_heads}

                @classmethod
                def from_config(cls, config):
                    config = dict(config)
                    config.setdefault("num_heads", 8)
                    return cls(**config)
            """,
        ),
        # Two old spellings in one class: both reported, only the first fixed.
        Invalid(
            """
            from keras import layers

            class ShuffleAttention(layers.Layer):
                def __init__(self, n_heads, nheads=None, **kwargs):
                    super().__init__(**kwargs)
                    self.n_heads = n_heads
            """,
            count=2,
            unsafe_fixes=True,
            expected_fixed="""
            from keras import layers

            class ShuffleAttention(layers.Layer):
                def __init__(self, num_heads, nheads=None, **kwargs):
                    super().__init__(**kwargs)
                    self.num_heads = num_heads
            """,
        ),
        # A subclass in the module passes the old keyword to super().__init__.
        Invalid(
            """
            import keras

            class BaseAttention(keras.layers.Layer):
                def __init__(self, num_attention_heads=4, **kwargs):
                    super().__init__(**kwargs)
                    self.num_attention_heads = num_attention_heads

            class FastAttention(BaseAttention):
                def __init__(self, dim, **kwargs):
                    super().__init__(num_attention_heads=dim // 64, **kwargs)
                    self.dim = dim
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class BaseAttention(keras.layers.Layer):
                def __init__(self, num_heads=4, **kwargs):
                    super().__init__(**kwargs)
                    self.num_heads = num_heads

            class FastAttention(BaseAttention):
                def __init__(self, dim, **kwargs):
                    super().__init__(num_heads=dim // 64, **kwargs)
                    self.dim = dim
            """,
        ),
        # Forwarded to a base class that keeps the old name: reported, no fix.
        Invalid(
            """
            import keras as K

            class TalkingHeadsAttention(K.layers.MultiHeadAttention):
                def __init__(self, n_head, key_size, **kwargs):
                    super().__init__(num_heads=n_head, key_dim=key_size, **kwargs)
            """,
            unsafe_fixes=True,
            expected_fixed=None,
        ),
    ]
