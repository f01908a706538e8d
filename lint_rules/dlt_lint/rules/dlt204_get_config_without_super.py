"""DLT204: get_config() that does not start from super().get_config()."""

from __future__ import annotations

import ast

from dlt_lint.diagnostics import Edit, Fix, Position
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules import _keras_class as kc


class GetConfigWithoutSuper(Rule):
    """
    ## What it does
    Reports a `get_config()` of a Keras class that builds its result without
    `super().get_config()` (for instance by returning a fresh dict). An explicit
    `Base.get_config(self)` or `super(Cls, self).get_config()` counts as calling the base.
    Abstract classes and a `get_config()` that only raises are not reported.

    ## Why
    The base `get_config()` saves the layer's `name`, `trainable` flag and dtype policy (and
    whatever a project base class adds). A config that skips it reloads the layer under a
    new name, always trainable and in the default dtype, which breaks weight loading by
    name, frozen layers and mixed precision.

    ## Example
    ```python
    def get_config(self):
        return {"dim": self.dim}
    ```

    ## Use instead
    ```python
    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim})
        return config
    ```

    ## Fix safety
    When the method returns a dict literal the fix makes it `{**super().get_config(), ...}`;
    `dict(k=...)` becomes `dict(super().get_config(), k=...)`; `config = {...}` followed by
    `return config` becomes `config = super().get_config()` plus `config.update({...})`. Other
    shapes get no fix. The fix is safe when the class's `__init__` accepts `**kwargs` (the
    added `name` / `trainable` / `dtype` keys reach the base constructor); otherwise it is
    unsafe, because `from_config()` would then pass keys `__init__` does not accept.
    """

    code = "DLT204"
    name = "get-config-without-super"
    summary = "get_config() does not start from super().get_config()"
    fix_availability = "sometimes"
    needles = ("get_config",)
    keras_only = True

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls) or ctx.abstract_class(cls):
            return
        get_config = kc.method_of(cls, "get_config")
        if get_config is None or kc.only_raises(get_config) or kc.calls_super_config(get_config):
            return
        self.report(get_config, "get_config() does not start from super().get_config()",
                    self._fix(cls, get_config))

    # ------------------------------------------------------------------ fix
    def _accepts_kwargs(self, cls: ast.ClassDef) -> bool:
        init = kc.method_of(cls, "__init__")
        if init is not None:
            return init.args.kwarg is not None
        for base in kc.base_qualnames(self.ctx, cls):
            for info in self.ctx.project.ancestors(base):
                if info.params is not None:
                    return any(p.kind == "var_keyword" for p in info.params)
        return True  # the Keras base constructor

    def _fix(self, cls: ast.ClassDef, func: kc.FunctionNode) -> Fix | None:
        edits = self._edits(func)
        if not edits:
            return None
        return self.fix("Start from super().get_config()", edits,
                        unsafe=not self._accepts_kwargs(cls))

    def _edits(self, func: kc.FunctionNode) -> list[Edit] | None:
        ctx = self.ctx
        ret = func.body[-1] if func.body else None
        if not isinstance(ret, ast.Return) or ret.value is None:
            return None
        if sum(isinstance(n, ast.Return) for n in kc.local_statements(func)) != 1:
            return None
        value = ret.value
        if isinstance(value, ast.Dict):
            return [self._prepend_unpack(value)]
        if _is_dict_call(value) and not value.args:
            edit = kc.prepend_call_arg(ctx, value, "super().get_config()")
            return [edit] if edit else None
        if not isinstance(value, ast.Name):
            return None
        name = value.id
        assigns = [s for s in kc.walk_local(func)
                   if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr))
                   and any(isinstance(t, ast.Name) and t.id == name
                           for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))]
        if len(assigns) != 1 or assigns[0] not in func.body or not isinstance(assigns[0], ast.Assign) \
                or len(assigns[0].targets) != 1:
            return None
        stmt = assigns[0]
        init = stmt.value
        if kc.entry_indent(ctx, ctx.start(stmt)) is None:
            return None
        indent = ctx.indent_of(stmt.lineno)
        if isinstance(init, ast.Dict):
            text = f"{name} = super().get_config()"
            if init.keys:
                text += f"\n{indent}{name}.update({ctx.text(init)})"
            return [ctx.replace(stmt, text)]
        if _is_dict_call(init) and not init.args:
            edit = kc.prepend_call_arg(ctx, init, "super().get_config()")
            return [edit] if edit else None
        return None

    def _prepend_unpack(self, node: ast.Dict) -> Edit:
        ctx = self.ctx
        text = "**super().get_config()"
        if not node.keys:
            return ctx.insert_at(Position(ctx.start(node).row, ctx.start(node).column + 1), text)
        key, value = node.keys[0], node.values[0]
        if key is not None:
            first = ctx.start(key)
        else:
            vstart = ctx.start(value)
            first = Position(vstart.row, max(vstart.column - 2, 0))
        indent = kc.entry_indent(ctx, first)
        if first.row > ctx.start(node).row and indent is not None:
            return ctx.insert_line_before(first.row, f"{indent}{text},")
        return ctx.insert_at(first, f"{text}, ")

    VALID = [
        """
        import keras


        class Block(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim

            def get_config(self):
                config = super().get_config()
                config.update({"dim": self.dim})
                return config
        """,
        # Old-style super and an explicit base call.
        """
        from keras import layers as L


        class A(L.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim

            def get_config(self):
                return {**super(A, self).get_config(), "dim": self.dim}


        class B(A):
            def get_config(self):
                config = A.get_config(self)
                return config
        """,
        # Abstract base.
        """
        import abc
        import keras


        class Base(keras.layers.Layer, metaclass=abc.ABCMeta):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim

            def get_config(self):
                return {"dim": self.dim}
        """,
        # A get_config that refuses to serialize.
        """
        import keras


        class Stateful(keras.layers.Layer):
            def get_config(self):
                raise NotImplementedError("Stateful layers cannot be serialized.")
        """,
        # Not a Keras class.
        """
        class Settings:
            def get_config(self):
                return {"size": 1}
        """,
    ]

    INVALID = [
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return {"dim": self.dim}
            """,
            expected_fixed="""
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return {**super().get_config(), "dim": self.dim}
            """,
            message_contains="does not start from super().get_config()",
        ),
        # config = {...}; return config, with an aliased layers module.
        Invalid(
            """
            from keras import layers as L


            class Block(L.Layer):
                def __init__(self, dim, heads, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.heads = heads

                def get_config(self):
                    config = {
                        "dim": self.dim,
                        "heads": self.heads,
                    }
                    return config
            """,
            expected_fixed="""
            from keras import layers as L


            class Block(L.Layer):
                def __init__(self, dim, heads, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.heads = heads

                def get_config(self):
                    config = super().get_config()
                    config.update({
                        "dim": self.dim,
                        "heads": self.heads,
                    })
                    return config
            """,
        ),
        # Exploded returned dict, class inheriting from a Keras class in the same file.
        Invalid(
            """
            from keras.layers import Layer


            class Base(Layer):
                pass


            class Child(Base):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return {
                        "dim": self.dim,
                    }
            """,
            expected_fixed="""
            from keras.layers import Layer


            class Base(Layer):
                pass


            class Child(Base):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return {
                        **super().get_config(),
                        "dim": self.dim,
                    }
            """,
        ),
        # dict(k=...) spelling.
        Invalid(
            """
            import tensorflow as tf


            class Block(tf.keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return dict(dim=self.dim)
            """,
            expected_fixed="""
            import tensorflow as tf


            class Block(tf.keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim

                def get_config(self):
                    return dict(super().get_config(), dim=self.dim)
            """,
        ),
        # __init__ without **kwargs: the fix is unsafe (not applied by default) ...
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim):
                    super().__init__()
                    self.dim = dim

                def get_config(self):
                    return {"dim": self.dim}
            """,
            expected_fixed="""
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim):
                    super().__init__()
                    self.dim = dim

                def get_config(self):
                    return {"dim": self.dim}
            """,
        ),
        # ... and applied with --unsafe-fixes.
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim):
                    super().__init__()
                    self.dim = dim

                def get_config(self):
                    return {"dim": self.dim}
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim):
                    super().__init__()
                    self.dim = dim

                def get_config(self):
                    return {**super().get_config(), "dim": self.dim}
            """,
        ),
        # A shape the fix does not rewrite: reported without a fix.
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self._config = {}

                def get_config(self):
                    return dict(self._config)
            """,
            expected_fixed="""
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self._config = {}

                def get_config(self):
                    return dict(self._config)
            """,
        ),
    ]


def _is_dict_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
