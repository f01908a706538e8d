"""DLT203: get_config() that does not save every __init__ parameter."""

from __future__ import annotations

import ast
from typing import Any

from dlt_lint.astwalk import walk
from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Edit, Fix
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules import _keras_class as kc


class IncompleteGetConfig(Rule):
    """
    ## What it does
    Reports a `get_config()` of a Keras class that leaves out parameters of the class's
    `__init__`. Keys are collected from `config.update({...})`, `config.update(k=...)`,
    `config["k"] = ...`, `{**base, "k": ...}` and `dict(base, k=...)`; keys saved by a
    project base class's `get_config()` reached through `super().get_config()` count as
    present. Not required: `self`, `*args`, `**kwargs` and what Keras' own base saves
    (`name`, `dtype`, `trainable`, `activity_regularizer`). A `get_config()` that merges
    mappings whose keys cannot be read from the code (`config.update(self.extra)`, loops) is
    not reported, and abstract classes are not checked. Nor is a parameter of a base class
    that every subclass in the project decides itself (`super().__init__(rank=2, ...)` from
    a subclass whose own `__init__` has no `rank`): the subclasses' configs must not carry it,
    because their `__init__` would not accept it back.

    ## Why
    `from_config()` rebuilds the layer as `cls(**config)`. A parameter missing from the config
    falls back to its default when a saved model is loaded, so the reloaded layer computes
    something else than the one that was trained, without any error.

    ## Example
    ```python
    def __init__(self, dim, dropout_rate=0.0, **kwargs):
        ...

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim})
        return config
    ```

    ## Use instead
    ```python
    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim, "dropout_rate": self.dropout_rate})
        return config
    ```

    ## Fix safety
    Safe: adds the missing keys (into the `update({...})` literal, the returned dict literal
    or `dict(...)` call, or as `config["k"] = ...` lines before the `return`) with the values
    `self.<name>`, serialized with `keras.initializers.serialize` / `regularizers` /
    `constraints` / `activations` when the attribute was set through the matching `.get(...)`.
    When a parameter is stored under another attribute name the fix reads that attribute and
    is unsafe; when it is not stored at all no fix is offered.
    """

    code = "DLT203"
    name = "incomplete-get-config"
    summary = "get_config() omits __init__ parameters"
    fix_availability = "sometimes"
    needles = ("get_config",)
    keras_only = True
    collect_key = kc.SUBCLASS_KEY

    @classmethod
    def collect(cls, tree: ast.Module, ctx: FileContext) -> Any:
        """Bases and decided base arguments of every class (see ``kc.fixed_by_subclasses``)."""
        return kc.subclass_facts(ctx, tree)

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls) or ctx.abstract_class(cls):
            return
        get_config = kc.method_of(cls, "get_config")
        init = kc.method_of(cls, "__init__")
        if get_config is None or init is None or kc.only_raises(get_config):
            return
        if kc.config_is_opaque(get_config):
            return
        params = kc.config_params(init, ctx.source)
        if not params:
            return
        present = set(kc.kf.config_facts(get_config).keys)
        if kc.calls_super_config(get_config):
            inherited = kc.inherited_config(ctx, cls)
            if inherited.dynamic:
                return
            present |= kc.covered_params(ctx, cls, init, inherited)
        from_config = kc.method_of(cls, "from_config")
        if from_config is not None:
            # A custom from_config may map saved keys onto parameters: a parameter it names
            # explicitly is taken as handled.
            present |= {n.value for n in walk(from_config)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        missing = [p.name for p in params if p.name not in present]
        if missing:
            fixed = kc.fixed_by_subclasses(ctx, cls, init)
            missing = [name for name in missing if name not in fixed]
        if not missing:
            return
        self.report(get_config, "get_config() omits __init__ parameter(s): " + ", ".join(missing),
                    self._fix(get_config, init, missing))

    # ------------------------------------------------------------------ fix
    def _fix(self, get_config: kc.FunctionNode, init: kc.FunctionNode, missing: list[str]) -> Fix | None:
        ctx = self.ctx
        stores = kc.init_stores(init)
        values: list[tuple[str, str]] = []
        edits: list[Edit] = []
        unsafe = False
        for name in missing:
            attr = name
            if name not in stores:
                attr = kc.alias_attr(ctx, init, name)
                if attr is None:
                    return None  # not stored on the instance: nothing to read back
                unsafe = True
            try:
                value, imports = kc.config_value(ctx, attr, stores.get(attr, []))
            except LookupError:
                return None
            values.append((name, value))
            edits.extend(e for e in imports if e not in edits)
        placed = self._place(get_config, values)
        if placed is None:
            return None
        return self.fix("Add the missing keys to get_config()", [*edits, *placed], unsafe=unsafe)

    def _place(self, func: kc.FunctionNode, values: list[tuple[str, str]]) -> list[Edit] | None:
        ctx = self.ctx
        entries = [f'"{k}": {v}' for k, v in values]
        ret = func.body[-1] if func.body else None
        if not isinstance(ret, ast.Return) or ret.value is None:
            return None
        if sum(isinstance(n, ast.Return) for n in kc.local_statements(func)) != 1:
            return None
        value = ret.value
        if isinstance(value, ast.Dict):
            return kc.append_to_dict(ctx, value, entries)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
            return kc.append_call_args(ctx, value, [f"{k}={v}" for k, v in values])
        if not isinstance(value, ast.Name):
            return None
        config = value.id
        for stmt in reversed(func.body[:-1]):
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "update" and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == config and len(call.args) == 1
                    and isinstance(call.args[0], ast.Dict) and not call.keywords):
                return kc.append_to_dict(ctx, call.args[0], entries)
        indent = kc.block_indent(ctx, func)
        if indent is None:
            return None
        lines = [f'{indent}{config}["{k}"] = {v}' for k, v in values]
        return [ctx.insert_line_before(ret.lineno, "\n".join(lines))]

    VALID = [
        """
        import keras


        class Block(keras.layers.Layer):
            def __init__(self, dim, dropout_rate=0.0, name=None, **kwargs):
                super().__init__(name=name, **kwargs)
                self.dim = dim
                self.dropout_rate = dropout_rate

            def get_config(self):
                config = super().get_config()
                config.update({"dim": self.dim, "dropout_rate": self.dropout_rate})
                return config
        """,
        # Item assignment, update(k=...), {**base, ...} and dict(base, k=...) spellings.
        """
        from keras import layers as L


        class A(L.Layer):
            def __init__(self, a, b, c, **kwargs):
                super().__init__(**kwargs)
                self.a, self.b, self.c = a, b, c

            def get_config(self):
                config = super().get_config()
                config["a"] = self.a
                config.update(b=self.b)
                return {**config, "c": self.c}


        class B(L.Layer):
            def __init__(self, a, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.a = a

            def get_config(self):
                return dict(super().get_config(), a=self.a)
        """,
        # Keys saved by a base class in the same file, reached through super().get_config().
        """
        import keras
        from keras.layers import Layer


        class Base(Layer):
            def __init__(self, dim, use_bias=True, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim
                self.use_bias = use_bias

            def get_config(self):
                config = super().get_config()
                config.update({"dim": self.dim, "use_bias": self.use_bias})
                return config


        class Child(Base):
            def __init__(self, dim, use_bias=True, gate=1.0, **kwargs):
                super().__init__(dim, use_bias=use_bias, **kwargs)
                self.gate = gate

            def get_config(self):
                config = super().get_config()
                config["gate"] = self.gate
                return config
        """,
        # Dynamic get_config: the keys cannot be enumerated, so it is not reported.
        """
        import keras


        class Free(keras.layers.Layer):
            def __init__(self, dim, heads, **kwargs):
                super().__init__(**kwargs)
                self._settings = {"dim": dim, "heads": heads}

            def get_config(self):
                config = super().get_config()
                config.update(self._settings)
                return config
        """,
        """
        import keras


        class Free(keras.layers.Layer):
            def __init__(self, dim, heads, **kwargs):
                super().__init__(**kwargs)
                self.dim, self.heads = dim, heads

            def get_config(self):
                config = super().get_config()
                for key in ("dim", "heads"):
                    config[key] = getattr(self, key)
                return config
        """,
        # Abstract base.
        """
        import keras


        class Base(keras.layers.Layer):
            def __init__(self, dim, heads, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim

            def get_config(self):
                config = super().get_config()
                config["dim"] = self.dim
                return config

            def call(self, inputs):
                raise NotImplementedError
        """,
        # A built-in base (Dense) saves the arguments forwarded to it.
        """
        import keras


        class MyDense(keras.layers.Dense):
            def __init__(self, units, activation=None, scale=1.0, **kwargs):
                super().__init__(units, activation=activation, **kwargs)
                self.scale = scale

            def get_config(self):
                config = super().get_config()
                config["scale"] = self.scale
                return config
        """,
        # Every subclass (here and in other project modules) decides `rank` itself: a
        # subclass's config must not carry it, so the base rightly leaves it out.
        """
        import keras


        class BaseConv(keras.layers.Layer):
            def __init__(self, rank, filters, **kwargs):
                super().__init__(**kwargs)
                self.rank = rank
                self.filters = filters

            def get_config(self):
                config = super().get_config()
                config.update({"filters": self.filters})
                return config


        class Conv1D(BaseConv):
            def __init__(self, filters, **kwargs):
                super().__init__(rank=1, filters=filters, **kwargs)


        class Conv2D(BaseConv):
            def __init__(self, filters, **kwargs):
                BaseConv.__init__(self, 2, filters, **kwargs)
        """,
    ]

    INVALID = [
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, dropout_rate=0.0, kernel_initializer="glorot_uniform", **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.dropout_rate = dropout_rate
                    self.kernel_initializer = keras.initializers.get(kernel_initializer)

                def get_config(self):
                    config = super().get_config()
                    config.update({
                        "dim": self.dim,
                    })
                    return config
            """,
            expected_fixed="""
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, dropout_rate=0.0, kernel_initializer="glorot_uniform", **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.dropout_rate = dropout_rate
                    self.kernel_initializer = keras.initializers.get(kernel_initializer)

                def get_config(self):
                    config = super().get_config()
                    config.update({
                        "dim": self.dim,
                        "dropout_rate": self.dropout_rate,
                        "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                    })
                    return config
            """,
            message_contains="get_config() omits __init__ parameter(s): dropout_rate, kernel_initializer",
        ),
        # Item assignment spelling, aliased module: a new item line before the return.
        Invalid(
            """
            from keras import layers as L, regularizers


            class Proj(L.Layer):
                def __init__(self, units, kernel_regularizer=None, **kwargs):
                    super().__init__(**kwargs)
                    self.units = units
                    self.kernel_regularizer = regularizers.get(kernel_regularizer)

                def get_config(self):
                    config = super().get_config()
                    config["units"] = self.units
                    return config
            """,
            expected_fixed="""
            from keras import layers as L, regularizers


            class Proj(L.Layer):
                def __init__(self, units, kernel_regularizer=None, **kwargs):
                    super().__init__(**kwargs)
                    self.units = units
                    self.kernel_regularizer = regularizers.get(kernel_regularizer)

                def get_config(self):
                    config = super().get_config()
                    config["units"] = self.units
                    config["kernel_regularizer"] = regularizers.serialize(self.kernel_regularizer)
                    return config
            """,
            message_contains="parameter(s): kernel_regularizer",
        ),
        # {**base, ...} spelling; the base class in this file saves `dim`, the child forgets `gate`.
        Invalid(
            """
            import keras
            from keras.layers import Layer


            class Base(Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return {**super().get_config(), "dim": self.dim}


            class Child(Base):
                def __init__(self, dim, gate, activation="relu", **kwargs):
                    super().__init__(dim, **kwargs)
                    self.gate = gate
                    self.activation = keras.activations.get(activation)

                def get_config(self):
                    base = super().get_config()
                    return {**base, "activation": keras.activations.serialize(self.activation)}
            """,
            expected_fixed="""
            import keras
            from keras.layers import Layer


            class Base(Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return {**super().get_config(), "dim": self.dim}


            class Child(Base):
                def __init__(self, dim, gate, activation="relu", **kwargs):
                    super().__init__(dim, **kwargs)
                    self.gate = gate
                    self.activation = keras.activations.get(activation)

                def get_config(self):
                    base = super().get_config()
                    return {**base, "activation": keras.activations.serialize(self.activation), "gate": self.gate}
            """,
            message_contains="parameter(s): gate",
        ),
        # dict(base, k=...) spelling.
        Invalid(
            """
            import keras


            class Gate(keras.layers.Layer):
                def __init__(self, dim, bias=0.0, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.bias = bias

                def get_config(self):
                    return dict(super().get_config(), dim=self.dim)
            """,
            expected_fixed="""
            import keras


            class Gate(keras.layers.Layer):
                def __init__(self, dim, bias=0.0, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.bias = bias

                def get_config(self):
                    return dict(super().get_config(), dim=self.dim, bias=self.bias)
            """,
        ),
        # Stored under another name: the fix reads that attribute and is unsafe.
        Invalid(
            """
            import keras


            class Drop(keras.layers.Layer):
                def __init__(self, dim, dropout=0.1, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.rate = dropout

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": self.dim})
                    return config
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras


            class Drop(keras.layers.Layer):
                def __init__(self, dim, dropout=0.1, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.rate = dropout

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": self.dim, "dropout": self.rate})
                    return config
            """,
        ),
        # Not stored at all: reported without a fix.
        Invalid(
            """
            import keras


            class Drop(keras.layers.Layer):
                def __init__(self, dim, seed=None, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.noise = keras.layers.GaussianNoise(0.1, seed=seed)

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": self.dim})
                    return config
            """,
            expected_fixed="""
            import keras


            class Drop(keras.layers.Layer):
                def __init__(self, dim, seed=None, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.noise = keras.layers.GaussianNoise(0.1, seed=seed)

                def get_config(self):
                    config = super().get_config()
                    config.update({"dim": self.dim})
                    return config
            """,
            message_contains="parameter(s): seed",
        ),
        # One subclass takes `rank` from its caller: the base must save it.
        Invalid(
            """
            import keras


            class BaseConv(keras.layers.Layer):
                def __init__(self, rank, filters, **kwargs):
                    super().__init__(**kwargs)
                    self.rank = rank
                    self.filters = filters

                def get_config(self):
                    config = super().get_config()
                    config.update({"filters": self.filters})
                    return config


            class Conv1D(BaseConv):
                def __init__(self, filters, **kwargs):
                    super().__init__(rank=1, filters=filters, **kwargs)


            class AnyConv(BaseConv):
                def __init__(self, rank, filters, **kwargs):
                    super().__init__(rank=rank, filters=filters, **kwargs)
            """,
            message_contains="omits __init__ parameter(s): rank",
        ),
    ]
