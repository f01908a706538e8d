"""DLT202: a Keras class whose constructor takes configuration but that has no get_config()."""

from __future__ import annotations

import ast

from dlt_lint.diagnostics import Edit, Fix
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules import _keras_class as kc


class MissingGetConfig(Rule):
    """
    ## What it does
    Reports a Keras layer or model whose `__init__` accepts configuration parameters while
    the class defines no `get_config()`. Parameters that the Keras base class saves itself
    (`name`, `dtype`, `trainable`, `activity_regularizer`), `*args` / `**kwargs`, and
    parameters whose keys a project base class's `get_config()` already saves are not
    counted, nor are parameters that every subclass in the project decides itself (passes
    to `super().__init__` without taking them). Abstract classes are not checked.

    ## Why
    Saving a model writes each layer's `get_config()`; loading calls
    `cls.from_config(config)`, i.e. `cls(**config)`. Without a `get_config()` listing the
    constructor arguments, a reloaded layer is rebuilt with defaults (or not at all), so the
    restored model silently differs from the saved one.

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor
    ```

    ## Use instead
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def get_config(self) -> dict:
            config = super().get_config()
            config.update({"factor": self.factor})
            return config
    ```

    ## Fix safety
    The fix inserts a `get_config()` after `__init__` that starts from
    `super().get_config()` and adds every missing parameter as `self.<name>` (initializers,
    regularizers, constraints and activations stored through `*.get(...)` are written with the
    matching `keras.*.serialize`). It is safe when every parameter is stored as
    `self.<same name>`; otherwise it is unsafe: it reads the attribute the parameter is
    stored under, or stores the parameter as `self.<name>` in `__init__` first, which adds an
    attribute to the class.
    """

    code = "DLT202"
    name = "missing-get-config"
    summary = "Keras class takes __init__ configuration but defines no get_config()"
    fix_availability = "safe"
    needles = ("__init__",)
    keras_only = True

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls) or ctx.abstract_class(cls) or kc.defines(cls, "get_config"):
            return
        init = kc.method_of(cls, "__init__")
        if init is None:
            return
        params = kc.config_params(init, ctx.source)
        if not params:
            return
        inherited = kc.inherited_config(ctx, cls)
        if inherited.dynamic:
            return  # an ancestor saves keys we cannot enumerate
        covered = kc.covered_params(ctx, cls, init, inherited)
        missing = [p.name for p in params if p.name not in covered]
        if missing:
            fixed = kc.fixed_by_subclasses(ctx, cls, init)
            missing = [name for name in missing if name not in fixed]
        if not missing:
            return
        self.report(ctx.name_range(init),
                    f"Keras class `{cls.name}` has no get_config() for __init__ parameter(s): "
                    + ", ".join(missing),
                    self._fix(init, missing))

    def _fix(self, init: kc.FunctionNode, missing: list[str]) -> Fix | None:
        ctx = self.ctx
        body_indent = kc.block_indent(ctx, init)
        if body_indent is None:
            return None
        stores = kc.init_stores(init)
        entries: list[str] = []
        edits: list[Edit] = []
        new_stores: list[str] = []
        unsafe = False
        for name in missing:
            try:
                if name in stores:
                    value, imports = kc.config_value(ctx, name, stores[name])
                else:
                    unsafe = True
                    alias = kc.alias_attr(ctx, init, name)
                    if alias is not None:
                        value, imports = kc.config_value(ctx, alias, stores.get(alias, []))
                    else:
                        new_stores.append(name)
                        value, imports = f"self.{name}", []
            except LookupError:
                return None
            entries.append(f'"{name}": {value}')
            edits.extend(e for e in imports if e not in edits)

        indent = ctx.indent_of(init.lineno)
        unit = kc.indent_unit(ctx, init)
        inner = indent + unit
        method = [
            f"{indent}def get_config(self) -> dict:",
            f'{inner}"""Return the constructor arguments for serialization."""',
            f"{inner}config = super().get_config()",
            f"{inner}config.update({{",
            *(f"{inner}{unit}{entry}," for entry in entries),
            f"{inner}}})",
            f"{inner}return config",
        ]
        store_lines = [f"{body_indent}self.{name} = {name}" for name in new_stores]
        tail = ""
        if store_lines:
            anchor = next((s for s in init.body if isinstance(s, ast.Expr)
                           and kc.is_parent_call(s.value, "__init__", kc.self_name(init))), None)
            if anchor is not None:
                edits.append(ctx.insert_line_after(anchor.end_lineno or anchor.lineno,
                                                   "\n".join(store_lines)))
            elif isinstance(init.body[-1], (ast.Return, ast.Raise)):
                return None
            else:
                tail = "\n".join(store_lines) + "\n"
        edits.append(ctx.insert_line_after(init.end_lineno or init.lineno,
                                           tail + "\n" + "\n".join(method)))
        return self.fix("Add a get_config() saving the __init__ parameters", edits, unsafe=unsafe)

    VALID = [
        # Complete class.
        """
        import keras


        class Scale(keras.layers.Layer):
            def __init__(self, factor=2.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def get_config(self):
                config = super().get_config()
                config["factor"] = self.factor
                return config
        """,
        # Only what the Keras base saves itself.
        """
        from keras import layers


        class Identity(layers.Layer):
            def __init__(self, name=None, dtype=None, trainable=True, **kwargs):
                super().__init__(name=name, dtype=dtype, trainable=trainable, **kwargs)
        """,
        # No __init__ at all.
        """
        import keras


        class Twice(keras.layers.Layer):
            def call(self, inputs):
                return inputs * 2
        """,
        # Abstract classes are exempt.
        """
        import abc
        import keras


        class Mixer(keras.layers.Layer, abc.ABC):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim

            @abc.abstractmethod
            def mix(self, inputs):
                ...
        """,
        # The base class in this file already saves every parameter of the child.
        """
        import keras
        from keras.layers import Layer


        class Base(Layer):
            def __init__(self, dim, dropout_rate=0.0, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim
                self.dropout_rate = dropout_rate

            def get_config(self):
                config = super().get_config()
                config.update({"dim": self.dim, "dropout_rate": self.dropout_rate})
                return config


        class Child(Base):
            def __init__(self, dim, dropout_rate=0.0, **kwargs):
                super().__init__(dim, dropout_rate=dropout_rate, **kwargs)
        """,
        # A built-in layer's own get_config saves what is forwarded to it.
        """
        import keras


        class WideDense(keras.layers.Dense):
            def __init__(self, units, activation=None, **kwargs):
                super().__init__(units * 2, activation=activation, **kwargs)
        """,
        # The base's get_config adds keys dynamically: cannot tell.
        """
        import keras


        class Base(keras.layers.Layer):
            def get_config(self):
                config = super().get_config()
                config.update(self._extra_config)
                return config


        class Child(Base):
            def __init__(self, size, **kwargs):
                super().__init__(**kwargs)
                self._extra_config = {"size": size}
        """,
        # Not a Keras class.
        """
        class Plain:
            def __init__(self, size):
                self.size = size
        """,
    ]

    INVALID = [
        Invalid(
            """
            import keras


            class Scale(keras.layers.Layer):
                def __init__(self, factor: float = 2.0, **kwargs):
                    super().__init__(**kwargs)
                    self.factor = factor

                def call(self, inputs):
                    return inputs * self.factor
            """,
            expected_fixed="""
            import keras


            class Scale(keras.layers.Layer):
                def __init__(self, factor: float = 2.0, **kwargs):
                    super().__init__(**kwargs)
                    self.factor = factor

                def get_config(self) -> dict:
                    \"\"\"Return the constructor arguments for serialization.\"\"\"
                    config = super().get_config()
                    config.update({
                        "factor": self.factor,
                    })
                    return config

                def call(self, inputs):
                    return inputs * self.factor
            """,
            message_contains="get_config() for __init__ parameter(s): factor",
        ),
        # Aliased imports; initializers stored through .get() are serialized.
        Invalid(
            """
            from keras import initializers, layers as L


            class Bias(L.Layer):
                def __init__(self, units, bias_initializer="zeros", name=None, **kwargs):
                    super().__init__(name=name, **kwargs)
                    self.units = units
                    self.bias_initializer = initializers.get(bias_initializer)
            """,
            expected_fixed="""
            from keras import initializers, layers as L


            class Bias(L.Layer):
                def __init__(self, units, bias_initializer="zeros", name=None, **kwargs):
                    super().__init__(name=name, **kwargs)
                    self.units = units
                    self.bias_initializer = initializers.get(bias_initializer)

                def get_config(self) -> dict:
                    \"\"\"Return the constructor arguments for serialization.\"\"\"
                    config = super().get_config()
                    config.update({
                        "units": self.units,
                        "bias_initializer": initializers.serialize(self.bias_initializer),
                    })
                    return config
            """,
        ),
        # Inheritance inside the file: only the parameter the base does not save is added.
        Invalid(
            """
            from keras.layers import Layer


            class Base(Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": self.dim})
                    return config


            class Gated(Base):
                def __init__(self, dim, gate_bias=1.0, **kwargs):
                    super().__init__(dim, **kwargs)
                    self.gate_bias = gate_bias
            """,
            expected_fixed="""
            from keras.layers import Layer


            class Base(Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": self.dim})
                    return config


            class Gated(Base):
                def __init__(self, dim, gate_bias=1.0, **kwargs):
                    super().__init__(dim, **kwargs)
                    self.gate_bias = gate_bias

                def get_config(self) -> dict:
                    \"\"\"Return the constructor arguments for serialization.\"\"\"
                    config = super().get_config()
                    config.update({
                        "gate_bias": self.gate_bias,
                    })
                    return config
            """,
            message_contains="parameter(s): gate_bias",
        ),
        # A built-in layer does not save a parameter that is not forwarded to it.
        Invalid(
            """
            import tensorflow as tf


            class ScaledDense(tf.keras.layers.Dense):
                def __init__(self, units, scale=1.0, **kwargs):
                    super().__init__(units, **kwargs)
                    self.scale = scale
            """,
            expected_fixed="""
            import tensorflow as tf


            class ScaledDense(tf.keras.layers.Dense):
                def __init__(self, units, scale=1.0, **kwargs):
                    super().__init__(units, **kwargs)
                    self.scale = scale

                def get_config(self) -> dict:
                    \"\"\"Return the constructor arguments for serialization.\"\"\"
                    config = super().get_config()
                    config.update({
                        "scale": self.scale,
                    })
                    return config
            """,
            message_contains="parameter(s): scale",
        ),
        # Parameters not stored as self.<name>: unsafe fix (reads the alias, stores the other).
        Invalid(
            """
            import keras


            class Pool(keras.Model):
                def __init__(self, size, stride=1, **kwargs):
                    super().__init__(**kwargs)
                    self.pool_size = size
                    self.pool = keras.layers.MaxPooling1D(size, strides=stride)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras


            class Pool(keras.Model):
                def __init__(self, size, stride=1, **kwargs):
                    super().__init__(**kwargs)
                    self.stride = stride
                    self.pool_size = size
                    self.pool = keras.layers.MaxPooling1D(size, strides=stride)

                def get_config(self) -> dict:
                    \"\"\"Return the constructor arguments for serialization.\"\"\"
                    config = super().get_config()
                    config.update({
                        "size": self.pool_size,
                        "stride": self.stride,
                    })
                    return config
            """,
        ),
        # ... and is not applied without --unsafe-fixes.
        Invalid(
            """
            import keras


            class Pool(keras.Model):
                def __init__(self, size, **kwargs):
                    super().__init__(**kwargs)
                    self.pool_size = size
            """,
            expected_fixed="""
            import keras


            class Pool(keras.Model):
                def __init__(self, size, **kwargs):
                    super().__init__(**kwargs)
                    self.pool_size = size
            """,
        ),
    ]
