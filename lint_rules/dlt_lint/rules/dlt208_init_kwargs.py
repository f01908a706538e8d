"""DLT208: __init__() that does not accept **kwargs or does not pass them to the base class."""

from __future__ import annotations

import ast

from dlt_lint.astwalk import walk
from dlt_lint.diagnostics import Edit, Fix
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules import _keras_class as kc


class InitKwargs(Rule):
    """
    ## What it does
    Reports the `__init__` of a Keras class that either has no `**kwargs` parameter or never
    hands it to `super().__init__(...)`. Passing a filtered mapping (`**layer_kwargs`) or
    calling `Base.__init__(self, **kwargs)` explicitly counts as passing. A class without its
    own `__init__` is fine.

    ## Why
    The base constructor receives `name`, `dtype`, `trainable` and the other standard layer
    arguments through `**kwargs`. `get_config()` saves them and `from_config()` passes them
    back to `__init__`; without `**kwargs` loading a saved model fails with an unexpected
    keyword argument, and if the mapping is not forwarded the layer silently loses its name,
    dtype policy and trainable flag.

    ## Example
    ```python
    def __init__(self, dim):
        super().__init__()
        self.dim = dim
    ```

    ## Use instead
    ```python
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
    ```

    ## Fix safety
    Unsafe (it changes the public signature): adds `**kwargs` to the signature (annotated
    with `Any` when the other parameters are annotated) and to the single
    `super().__init__(...)` call. No fix when there is no such call, several of them, the
    name `kwargs` is already in use, or the existing `**kwargs` also feeds something else in
    `__init__` (an inner layer's options would reach the base class and fail there).
    """

    code = "DLT208"
    name = "init-without-kwargs"
    summary = "__init__() does not accept **kwargs or does not pass them to super().__init__()"
    fix_availability = "unsafe"
    needles = ("__init__",)
    keras_only = True

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls):
            return
        init = kc.method_of(cls, "__init__")
        if init is None:
            return
        calls = kc.super_init_calls(init)
        kwarg = init.args.kwarg
        if kwarg is None:
            self.report(ctx.name_range(init), "__init__() does not accept **kwargs",
                        self._fix(init, calls, add_param=True))
            return
        for call in calls:
            if any(k.arg is None for k in call.keywords):
                return  # **kwargs or a filtered mapping
            if any(isinstance(n, ast.Name) and n.id == kwarg.arg
                   for arg in [*call.args, *(k.value for k in call.keywords)] for n in walk(arg)):
                return
        self.report(ctx.name_range(init),
                    f"__init__() does not pass **{kwarg.arg} to super().__init__()",
                    self._fix(init, calls, add_param=False))

    def _fix(self, init: kc.FunctionNode, calls: list[ast.Call], add_param: bool) -> Fix | None:
        ctx = self.ctx
        if len(calls) != 1:
            return None
        call = calls[0]
        if any(k.arg is None for k in call.keywords):
            return None
        edits: list[Edit] = []
        if add_param:
            name = "kwargs"
            if any(isinstance(n, ast.Name) and n.id == name for n in walk(init)) \
                    or any(a.arg == name for a in walk(init.args) if isinstance(a, ast.arg)):
                return None
            param = f"**{name}"
            others = [a for a in init.args.posonlyargs + init.args.args + init.args.kwonlyargs][1:]
            if init.args.vararg is not None:
                others.append(init.args.vararg)
            if others and all(a.annotation is not None for a in others):
                imp, local = ctx.import_edit("typing", "Any")
                if local is not None:
                    param += f": {local}"
                    if imp is not None:
                        edits.append(imp)
            sig = kc.append_params(ctx, init, [param])
            if sig is None:
                return None
            edits.extend(sig)
        else:
            name = init.args.kwarg.arg
            in_call = {id(n) for n in walk(call)}
            if any(isinstance(n, ast.Name) and n.id == name and id(n) not in in_call
                   for stmt in init.body for n in walk(stmt)):
                return None  # the mapping feeds something else too (an inner layer): not ours to pass on
        args = kc.append_call_args(ctx, call, [f"**{name}"])
        if args is None:
            return None
        edits.extend(args)
        return self.fix(f"Accept **{name} and pass it to super().__init__()", edits)

    VALID = [
        """
        import keras


        class Block(keras.layers.Layer):
            def __init__(self, dim, name=None, **kwargs):
                super().__init__(name=name, **kwargs)
                self.dim = dim
        """,
        # A filtered mapping, an explicit base call, a built-in base.
        """
        from keras import layers as L


        class A(L.Layer):
            def __init__(self, dim, **kwargs):
                layer_kwargs = {k: v for k, v in kwargs.items() if k != "extra"}
                super().__init__(**layer_kwargs)


        class B(A):
            def __init__(self, dim, **options):
                A.__init__(self, dim, **options)


        class C(L.Dense):
            def __init__(self, units, **kwargs):
                super().__init__(units * 2, **kwargs)
        """,
        # No __init__ of its own.
        """
        import keras


        class Twice(keras.layers.Layer):
            def call(self, inputs):
                return inputs * 2
        """,
        # Not a Keras class.
        """
        class Settings:
            def __init__(self, size):
                self.size = size
        """,
    ]

    INVALID = [
        Invalid(
            """
            from typing import Any

            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim: int, dropout_rate: float = 0.0) -> None:
                    super().__init__()
                    self.dim = dim
            """,
            unsafe_fixes=True,
            expected_fixed="""
            from typing import Any

            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim: int, dropout_rate: float = 0.0, **kwargs: Any) -> None:
                    super().__init__(**kwargs)
                    self.dim = dim
            """,
            message_contains="__init__() does not accept **kwargs",
        ),
        # Accepted but not forwarded; aliased layers module.
        Invalid(
            """
            from keras import layers as L


            class Block(L.Layer):
                def __init__(self, dim, **kw):
                    super().__init__(name="block")
                    self.dim = dim
            """,
            unsafe_fixes=True,
            expected_fixed="""
            from keras import layers as L


            class Block(L.Layer):
                def __init__(self, dim, **kw):
                    super().__init__(name="block", **kw)
                    self.dim = dim
            """,
            message_contains="does not pass **kw to super().__init__()",
        ),
        # Exploded signature and call, a name from keras.layers, inheritance inside the file.
        Invalid(
            """
            from keras.layers import Layer


            class Base(Layer):
                pass


            class Child(Base):
                def __init__(
                    self,
                    dim,
                    heads=1,
                ):
                    super().__init__(
                        trainable=True,
                    )
                    self.dim = dim
            """,
            unsafe_fixes=True,
            expected_fixed="""
            from keras.layers import Layer


            class Base(Layer):
                pass


            class Child(Base):
                def __init__(
                    self,
                    dim,
                    heads=1,
                    **kwargs,
                ):
                    super().__init__(
                        trainable=True,
                        **kwargs,
                    )
                    self.dim = dim
            """,
        ),
        # The unsafe fix is not applied by default.
        Invalid(
            """
            import keras


            class Net(keras.Model):
                def __init__(self, width):
                    super().__init__()
                    self.width = width
            """,
            expected_fixed="""
            import keras


            class Net(keras.Model):
                def __init__(self, width):
                    super().__init__()
                    self.width = width
            """,
        ),
        # Annotated parameters without `Any` imported: the import is added.
        Invalid(
            """
            import keras


            class Net(keras.Model):
                def __init__(self, width: int):
                    super().__init__()
                    self.width = width
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras
            from typing import Any


            class Net(keras.Model):
                def __init__(self, width: int, **kwargs: Any):
                    super().__init__(**kwargs)
                    self.width = width
            """,
        ),
        # No super().__init__() call to extend: reported without a fix.
        Invalid(
            """
            import keras


            class Odd(keras.layers.Layer):
                def __init__(self, width):
                    self.width = width
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras


            class Odd(keras.layers.Layer):
                def __init__(self, width):
                    self.width = width
            """,
        ),
        # **kwargs also configures an inner layer: reported, but no fix.
        Invalid(
            """
            import keras

            class Outer(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    name = kwargs.pop("name", "outer")
                    super().__init__(name=name)
                    self.inner = keras.layers.Dense(dim, **kwargs)
            """,
            expected_fixed=None,
            message_contains="does not pass **kwargs",
        ),
    ]
