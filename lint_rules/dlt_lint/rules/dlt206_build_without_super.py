"""DLT206: build() that never calls super().build(input_shape)."""

from __future__ import annotations

import ast

from dlt_lint.diagnostics import Fix
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules import _keras_class as kc


class BuildWithoutSuper(Rule):
    """
    ## What it does
    Reports a `build()` of a Keras class that never calls `super().build(...)`, neither
    directly nor through a helper method it calls. `super(Cls, self).build(...)` and an
    explicit `Base.build(self, ...)` count. Setting `self.built = True` is accepted as well:
    it is what the base `build()` does in Keras 3, so the layer behaves the same.

    ## Why
    The base `build()` marks the layer as built and, for a project base class, builds what
    that base owns. Skipping it leaves base-class state uncreated, and code that inspects
    `layer.built` (serialization, `summary()`, weight loading) can treat the layer as unbuilt.
    Ending `build()` with the super call is the framework convention.

    ## Example
    ```python
    def build(self, input_shape):
        self.proj.build(input_shape)
    ```

    ## Use instead
    ```python
    def build(self, input_shape):
        self.proj.build(input_shape)
        super().build(input_shape)
    ```

    ## Fix safety
    Safe: appends `super().build(<shape argument>)`, using the name of `build()`'s own first
    parameter, at the end of `build()` (before a final bare `return`). No fix when `build()`
    ends with `raise` or `return <value>`, or takes no shape argument.
    """

    code = "DLT206"
    name = "build-without-super"
    summary = "build() never calls super().build(input_shape)"
    fix_availability = "sometimes"
    needles = ("build",)
    keras_only = True

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls):
            return
        build = kc.method_of(cls, "build")
        if build is None or kc.only_raises(build):
            return
        local_ancestors, _ = kc.project_ancestor_defs(ctx, cls)
        methods, _ = kc.reachable_methods(cls, build, local_ancestors)
        for func in methods:
            me = kc.self_name(func)
            for node in kc.walk_local(func):
                if kc.is_parent_call(node, "build", me):
                    return
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if any(kc.self_attr(t, me) == "built" for t in targets):
                        return
        self.report(ctx.name_range(build), "build() never calls super().build(input_shape)",
                    self._fix(build))

    def _fix(self, build: kc.FunctionNode) -> Fix | None:
        ctx = self.ctx
        positional = build.args.posonlyargs + build.args.args
        if len(positional) >= 2:
            args = positional[1].arg
        elif build.args.vararg is not None:
            args = f"*{build.args.vararg.arg}"
            if build.args.kwarg is not None:
                args += f", **{build.args.kwarg.arg}"
        else:
            return None
        indent = kc.block_indent(ctx, build)
        if indent is None:
            return None
        call = f"super().build({args})"
        last = build.body[-1]
        if isinstance(last, ast.Raise):
            return None
        if isinstance(last, ast.Return):
            if last.value is not None or len(build.body) == 1:
                return None
            edit = ctx.insert_line_before(last.lineno, f"{indent}{call}")
        else:
            edit = ctx.insert_line_after(build.end_lineno or build.lineno, f"{indent}{call}")
        return self.fix(f"Append {call}", [edit])

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
        """,
        # Old-style super, an explicit base call, `self.built = True`.
        """
        from keras import layers as L


        class A(L.Layer):
            def build(self, input_shape):
                super(A, self).build(input_shape)


        class B(L.Layer):
            def build(self, input_shape):
                L.Layer.build(self, input_shape)


        class C(L.Layer):
            def build(self, input_shape):
                self.scale = self.add_weight(shape=(input_shape[-1],))
                self.built = True
        """,
        # The super call is made by a helper build() calls.
        """
        import keras


        class Block(keras.layers.Layer):
            def _finish(self, shape):
                super().build(shape)

            def build(self, input_shape):
                if input_shape[-1] is None:
                    raise ValueError("last dimension must be known")
                self._finish(input_shape)
        """,
        # A build() that only refuses.
        """
        import keras


        class Base(keras.layers.Layer):
            def build(self, input_shape):
                raise NotImplementedError
        """,
        # No build() at all; not a Keras class.
        """
        import keras


        class Twice(keras.layers.Layer):
            def call(self, inputs):
                return inputs * 2


        class Builder:
            def build(self, parts):
                return parts
        """,
    ]

    INVALID = [
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.proj = keras.layers.Dense(dim)

                def build(self, input_shape):
                    self.proj.build(input_shape)

                def call(self, inputs):
                    return self.proj(inputs)
            """,
            expected_fixed="""
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.proj = keras.layers.Dense(dim)

                def build(self, input_shape):
                    self.proj.build(input_shape)
                    super().build(input_shape)

                def call(self, inputs):
                    return self.proj(inputs)
            """,
            message_contains="build() never calls super().build(input_shape)",
        ),
        # Aliased module, the shape parameter has another name, the body ends in a compound block.
        Invalid(
            """
            from keras import layers as L


            class Scale(L.Layer):
                def build(self, shape):
                    if shape[-1] is not None:
                        self.scale = self.add_weight(shape=(shape[-1],))
            """,
            expected_fixed="""
            from keras import layers as L


            class Scale(L.Layer):
                def build(self, shape):
                    if shape[-1] is not None:
                        self.scale = self.add_weight(shape=(shape[-1],))
                    super().build(shape)
            """,
        ),
        # A name imported from keras.layers, a final bare return.
        Invalid(
            """
            from keras.layers import Dense


            class Wide(Dense):
                def build(self, input_shape):
                    if self.built:
                        return
                    self.extra = self.add_weight(shape=(1,))
                    return
            """,
            expected_fixed="""
            from keras.layers import Dense


            class Wide(Dense):
                def build(self, input_shape):
                    if self.built:
                        return
                    self.extra = self.add_weight(shape=(1,))
                    super().build(input_shape)
                    return
            """,
        ),
        # Inheritance inside the file; variadic build.
        Invalid(
            """
            import keras


            class Base(keras.layers.Layer):
                pass


            class Child(Base):
                def build(self, *shapes, **kwargs):
                    self.size = len(shapes)
            """,
            expected_fixed="""
            import keras


            class Base(keras.layers.Layer):
                pass


            class Child(Base):
                def build(self, *shapes, **kwargs):
                    self.size = len(shapes)
                    super().build(*shapes, **kwargs)
            """,
        ),
        # Ends with raise: reported without a fix.
        Invalid(
            """
            import keras


            class Picky(keras.layers.Layer):
                def build(self, input_shape):
                    if len(input_shape) == 3:
                        self.w = self.add_weight(shape=(input_shape[-1],))
                        return
                    raise ValueError("expected a 3D input")
            """,
            expected_fixed="""
            import keras


            class Picky(keras.layers.Layer):
                def build(self, input_shape):
                    if len(input_shape) == 3:
                        self.w = self.add_weight(shape=(input_shape[-1],))
                        return
                    raise ValueError("expected a 3D input")
            """,
        ),
    ]
