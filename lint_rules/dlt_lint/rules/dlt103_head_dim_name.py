"""DLT103: an attention class calls its per-head width ``head_dim``."""

from __future__ import annotations

from dlt_lint import keras_facts as kf
from dlt_lint.rule import Invalid
from dlt_lint.rules._rename import ParamNameRule


class HeadDimName(ParamNameRule):
    """
    ## What it does
    Reports an `__init__` parameter named `key_dim` or `value_dim` in an attention class when
    the two are not both parameters. A class taking both `key_dim` and `value_dim` sizes keys
    and values separately, which the single `head_dim` cannot express, and is left alone.

    ## Why
    The framework's attention layers take the per-head width as `head_dim` (with
    `dim // num_heads` as the usual default). A lone `key_dim` is the same quantity under
    Keras' `MultiHeadAttention` spelling and makes the layer inconsistent with its siblings.

    ## Example
    ```python
    class GatedAttention(keras.layers.Layer):
        def __init__(self, dim, num_heads, key_dim=None, **kwargs):
            ...
    ```

    ## Use instead
    ```python
    class GatedAttention(keras.layers.Layer):
        def __init__(self, dim, num_heads, head_dim=None, **kwargs):
            ...
    ```

    ## Fix safety
    Unsafe: renaming a constructor parameter changes the public API. The fix renames the
    parameter, its uses in `__init__` (a `key_dim=` keyword passed to another layer stays),
    the `self.` attribute that stores it, the `get_config` / `from_config` key and keywords
    of calls to the class in the same module. No fix when `head_dim` already exists, when the
    name is reached dynamically, or when the parameter is forwarded to `super().__init__`
    (e.g. a `keras.layers.MultiHeadAttention` subclass, whose config keeps `key_dim`).
    """

    code = "DLT103"
    name = "attention-head-dim-name"
    summary = "attention class parameter `key_dim` / `value_dim` (not both) should be `head_dim`"
    needles = ("key_dim", "value_dim")
    FORBIDDEN = {"key_dim": "head_dim", "value_dim": "head_dim"}
    CONCEPT = "head width"

    def forbidden(self, param: kf.Param, params: list[kf.Param]) -> bool:
        names = {p.name for p in params}
        return param.name in self.FORBIDDEN and not {"key_dim", "value_dim"} <= names

    VALID = [
        # Distinct key and value widths.
        """
        import keras

        class AsymmetricAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, key_dim, value_dim=None, **kwargs):
                super().__init__(**kwargs)
                self.key_dim = key_dim
                self.value_dim = value_dim or key_dim
        """,
        """
        import keras

        class StandardAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, head_dim=None, **kwargs):
                super().__init__(**kwargs)
                self.inner = keras.layers.MultiHeadAttention(num_heads, key_dim=head_dim or dim)
        """,
        # Not an attention class.
        """
        import keras

        class Projector(keras.layers.Layer):
            def __init__(self, key_dim, **kwargs):
                super().__init__(**kwargs)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class GatedAttention(keras.layers.Layer):
                def __init__(self, dim, num_heads, key_dim=None, **kwargs):
                    super().__init__(**kwargs)
                    self.key_dim = key_dim or dim // num_heads
                    self.mha = keras.layers.MultiHeadAttention(num_heads, key_dim=self.key_dim)

                def get_config(self):
                    config = super().get_config()
                    config.update(key_dim=self.key_dim)
                    return config
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class GatedAttention(keras.layers.Layer):
                def __init__(self, dim, num_heads, head_dim=None, **kwargs):
                    super().__init__(**kwargs)
                    self.head_dim = head_dim or dim // num_heads
                    self.mha = keras.layers.MultiHeadAttention(num_heads, key_dim=self.head_dim)

                def get_config(self):
                    config = super().get_config()
                    config.update(head_dim=self.head_dim)
                    return config
            """,
        ),
        Invalid(
            """
            from keras import layers

            class PoolAttention(layers.Layer):
                def __init__(self, value_dim: int = 32, **kwargs):
                    super().__init__(**kwargs)
                    self.value_dim = value_dim
            """,
            unsafe_fixes=True,
            expected_fixed="""
            from keras import layers

            class PoolAttention(layers.Layer):
                def __init__(self, head_dim: int = 32, **kwargs):
                    super().__init__(**kwargs)
                    self.head_dim = head_dim
            """,
        ),
        # A MultiHeadAttention subclass forwarding key_dim: reported, no fix.
        Invalid(
            """
            import keras

            class ScaledAttention(keras.layers.MultiHeadAttention):
                def __init__(self, num_heads, key_dim, **kwargs):
                    super().__init__(num_heads=num_heads, key_dim=key_dim, **kwargs)
            """,
            unsafe_fixes=True,
            expected_fixed=None,
        ),
        # `head_dim` taken by another value: reported, no fix.
        Invalid(
            """
            from keras.layers import Layer as BaseLayer

            class ProbeAttention(BaseLayer):
                def __init__(self, dim, key_dim=16, **kwargs):
                    super().__init__(**kwargs)
                    self.head_dim = dim // 4
                    self.key_dim = key_dim
            """,
            unsafe_fixes=True,
            expected_fixed=None,
        ),
    ]
