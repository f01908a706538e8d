"""DLT101: an attention class calls its model dimension ``dim``."""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase

from dlt_lint import keras_facts as kf
from dlt_lint.rule import Invalid, Valid
from dlt_lint.rules._rename import ParamNameRule

DEFAULT_ALLOW_CHANNELS = ["*Channel*", "*Spatial*", "CBAM*", "*ConvolutionalBlock*", "NonLocal*",
                          "TripSE*"]


class DimName(ParamNameRule):
    """
    ## What it does
    Reports an `__init__` parameter named `channels`, `attention_channels` or `units` in an
    attention class (a Keras class named `*Attention*`, defined in an `attention` module or
    registered in the attention factory). Classes whose name matches the option
    `naming.allow-channels` are exempt: by default `*Channel*`, `*Spatial*`, `CBAM*`,
    `*ConvolutionalBlock*`, `NonLocal*` and `TripSE*`, the convolutional attention family
    whose argument really is a channel count.

    ## Why
    The framework gives every attention layer the same constructor vocabulary (`dim`,
    `num_heads`, `head_dim`, `dropout_rate`), so the factory, configs and callers can swap one
    attention for another. A layer that calls the model width `units` breaks that contract.

    ## Example
    ```python
    class LocalAttention(keras.layers.Layer):
        def __init__(self, units, num_heads, **kwargs):
            ...
    ```

    ## Use instead
    ```python
    class LocalAttention(keras.layers.Layer):
        def __init__(self, dim, num_heads, **kwargs):
            ...
    ```

    ## Fix safety
    Unsafe: renaming a constructor parameter changes the public API (callers passing
    `units=` and configs saved with the old key stop working). The fix renames consistently
    inside the class: the parameter, its uses in `__init__` (keyword names passed to other
    calls such as `Dense(units=...)` and strings stay), the `self.units` attribute when it
    stores the parameter, the `get_config` / `from_config` key, and `units=` keywords of
    calls to the class in the same module. No fix when `dim` already exists in the class, when
    the old name is reached dynamically (`getattr(self, "units")`, `locals()`), or when the
    parameter is forwarded to `super().__init__` (the base class keeps the old name).
    """

    code = "DLT101"
    name = "attention-dim-name"
    summary = "attention class parameter `channels` / `attention_channels` / `units` should be `dim`"
    needles = ("channels", "units")
    FORBIDDEN = {"channels": "dim", "attention_channels": "dim", "units": "dim"}
    CONCEPT = "model dimension"

    def applies(self, cls: ast.ClassDef, params: list[kf.Param]) -> bool:
        globs = self.ctx.option("naming.allow-channels", DEFAULT_ALLOW_CHANNELS)
        if isinstance(globs, str):
            globs = [globs]
        return not any(fnmatchcase(cls.name, g) for g in globs or ())

    VALID = [
        # The convolutional attention family counts channels.
        """
        import keras

        class ChannelAttention(keras.layers.Layer):
            def __init__(self, channels, ratio=8, **kwargs):
                super().__init__(**kwargs)
                self.channels = channels
        """,
        """
        from keras import layers

        class CBAMAttention(layers.Layer):
            def __init__(self, channels, **kwargs):
                super().__init__(**kwargs)
        """,
        Valid(
            """
            import keras

            class MixerAttention(keras.layers.Layer):
                def __init__(self, channels, **kwargs):
                    super().__init__(**kwargs)
            """,
            options={"naming": {"allow-channels": ["Mixer*"]}},
        ),
        # Not an attention class: `units` is the usual Dense vocabulary.
        """
        import keras

        class FeedForward(keras.layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
        """,
        # Not a Keras class.
        """
        class Attention:
            def __init__(self, units):
                self.units = units
        """,
        """
        import keras

        class SelfAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads=8, **kwargs):
                super().__init__(**kwargs)
                self.proj = keras.layers.Dense(units=dim)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class MyAttention(keras.layers.Layer):
                def __init__(self, units: int, num_heads: int = 4, **kwargs):
                    super().__init__(**kwargs)
                    if units % num_heads:
                        raise ValueError(f"units={units} must be divisible by num_heads")
                    self.units = units
                    self.num_heads = num_heads
                    self.query_proj = keras.layers.Dense(units=units, name="query_proj")

                def call(self, x):
                    return self.query_proj(x) * self.units

                def get_config(self):
                    config = super().get_config()
                    config.update({"units": self.units, "num_heads": self.num_heads})
                    return config

            layer = MyAttention(units=8)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class MyAttention(keras.layers.Layer):
                def __init__(self, dim: int, num_heads: int = 4, **kwargs):
                    super().__init__(**kwargs)
                    if dim % num_heads:
                        raise ValueError(f"units={dim} must be divisible by num_heads")
                    self.dim = dim
                    self.num_heads = num_heads
                    self.query_proj = keras.layers.Dense(units=dim, name="query_proj")

                def call(self, x):
                    return self.query_proj(x) * self.dim

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": self.dim, "num_heads": self.num_heads})
                    return config

            layer = MyAttention(dim=8)
            """,
        ),
        # Attention by module path; `from keras.layers import Layer`; config["key"] style.
        Invalid(
            """
            from keras.layers import Layer

            class TokenMixer(Layer):
                def __init__(self, channels, **kwargs):
                    super().__init__(**kwargs)
                    self.channels = channels

                def get_config(self):
                    config = super().get_config()
                    config['channels'] = self.channels
                    return config
            """,
            path="dl_techniques/layers/attention/token_mixer.py",
            unsafe_fixes=True,
            expected_fixed="""
            from keras.layers import Layer

            class TokenMixer(Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    config = super().get_config()
                    config['dim'] = self.dim
                    return config
            """,
        ),
        # `dim` already exists: reported, no fix.
        Invalid(
            """
            from keras import layers as L

            class CrossAttention(L.Layer):
                def __init__(self, dim, attention_channels=None, **kwargs):
                    super().__init__(**kwargs)
                    self.attention_channels = attention_channels or dim
            """,
            unsafe_fixes=True,
            expected_fixed=None,
        ),
        # Reached dynamically: reported, no fix.
        Invalid(
            """
            import keras

            class GlobalAttention(keras.layers.Layer):
                def __init__(self, units, **kwargs):
                    super().__init__(**kwargs)
                    self.units = units

                def describe(self):
                    return getattr(self, "units")
            """,
            unsafe_fixes=True,
            expected_fixed=None,
        ),
        # The default carve-out is replaced by the configured globs.
        Invalid(
            """
            import keras

            class ChannelAttention(keras.layers.Layer):
                def __init__(self, channels, **kwargs):
                    super().__init__(**kwargs)
            """,
            options={"naming": {"allow-channels": ["Mixer*"]}},
            unsafe_fixes=True,
            expected_fixed="""
            import keras

            class ChannelAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
            """,
        ),
    ]
