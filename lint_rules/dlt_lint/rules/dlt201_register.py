"""DLT201: Keras classes must be registered for serialization."""

from __future__ import annotations

import ast
from typing import Any, Iterator

from dlt_lint.context import FileContext
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules import _registration as reg


def module_level_classes(body: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """Classes defined at module level (also inside module-level ``if`` / ``try`` blocks)."""
    return (s for s in reg.module_level(body) if isinstance(s, ast.ClassDef))


class MissingRegistration(Rule):
    """
    ## What it does
    Reports a Keras layer or model class that is not decorated with
    `@keras.saving.register_keras_serializable()` (any spelling: `keras.saving.`,
    `keras.utils.`, or the decorator imported by name). A class registered another way is
    not reported: the decorator applied as a call at module level
    (`register_keras_serializable()(Block)`), an entry in `get_custom_objects()`, Keras'
    own `keras_export`, or a project decorator whose code registers what it decorates
    (found in the module that defines it).

    ## Why
    `keras.models.load_model` rebuilds a saved model by looking classes up in Keras'
    serialization registry. An unregistered custom class makes loading fail with
    "Unknown layer" unless every caller passes `custom_objects` by hand.

    ## Example
    ```python
    class GatedBlock(keras.layers.Layer):
        ...
    ```

    ## Use instead
    ```python
    @keras.saving.register_keras_serializable()
    class GatedBlock(keras.layers.Layer):
        ...
    ```

    ## Fix safety
    Safe: adds the decorator (and `import keras` when the module lacks it). Registration does
    not change what the class computes. Abstract classes are not reported. Unsafe when another
    module of the project already registers a class of the same name under the default
    package: both would be `Custom>Name`, and the one imported last would silently replace
    the other when a model is loaded.
    """

    code = "DLT201"

    fix_scope = "edit"
    name = "missing-register-serializable"
    summary = "Keras class is not decorated with @keras.saving.register_keras_serializable()"
    fix_availability = "safe"
    keras_only = True
    collect_key = reg.COLLECT_KEY

    @classmethod
    def collect(cls, tree: ast.Module, ctx: FileContext) -> Any:
        """Names of the module's functions and classes that register what they are given, and
        of its classes registered under Keras' default package (``Custom>Name``)."""
        found = reg.registering_callables(tree, ctx.sem, ctx.source)
        custom = sorted(reg.default_package_classes(tree, ctx.sem))
        if not found and not custom:
            return None
        return {"callables": sorted(found), "custom": custom}

    def visit_Module(self, node: ast.Module) -> None:
        ctx = self.ctx
        local: set[str] | None = None
        by_statement: set[str] = set()
        for cls in module_level_classes(node.body):
            if not ctx.keras_class(cls) or ctx.abstract_class(cls):
                continue
            if local is None:
                local = reg.registering_callables(node, ctx.sem, ctx.source)
                by_statement = reg.registered_by_statements(node, ctx.sem, local, ctx.source)
            if cls.name in by_statement or any(reg.decorator_registers(ctx, d, local)
                                                for d in cls.decorator_list):
                continue
            self.report(ctx.name_range(cls),
                        f"Keras class `{cls.name}` is not registered with "
                        "@keras.saving.register_keras_serializable()",
                        self._fix(cls))

    def _fix(self, cls: ast.ClassDef):
        imp, local = self.ctx.import_edit("keras")
        if local is None:
            return None
        first = min([d.lineno for d in cls.decorator_list] + [cls.lineno])
        indent = self.ctx.indent_of(cls.lineno)
        edits = [self.ctx.insert_line_before(first, f"{indent}@{local}.saving.register_keras_serializable()")]
        if imp is not None:
            edits.insert(0, imp)
        others = reg.namesakes(self.ctx, cls.name)
        if others:
            # Both would be registered as "Custom>Name": the later import silently wins.
            return self.fix(f"Add @keras.saving.register_keras_serializable() (a class `{cls.name}` "
                            f"also exists in {', '.join(others)}: choose a package)", edits, unsafe=True)
        return self.fix("Add @keras.saving.register_keras_serializable()", edits)

    VALID = [
        """
        import keras

        @keras.saving.register_keras_serializable()
        class Block(keras.layers.Layer):
            pass
        """,
        """
        from keras.saving import register_keras_serializable as reg
        from keras import layers as L

        @reg(package="demo")
        class Block(L.Layer):
            pass
        """,
        """
        import keras

        @keras.utils.register_keras_serializable()
        class Net(keras.Model):
            pass
        """,
        # Not a Keras class.
        """
        class Plain:
            pass
        """,
        # Abstract base classes are exempt.
        """
        import abc
        import keras

        class Base(keras.layers.Layer, abc.ABC):
            pass
        """,
        """
        import keras

        class Base(keras.layers.Layer):
            def call(self, inputs):
                raise NotImplementedError
        """,
        # Registered without the decorator: the call form, the custom-objects dict.
        """
        import keras
        from keras.saving import get_custom_objects, register_keras_serializable


        class A(keras.layers.Layer):
            pass


        class B(keras.layers.Layer):
            pass


        class C(keras.layers.Layer):
            pass


        A = register_keras_serializable(package="demo")(A)
        get_custom_objects()["B"] = B
        keras.saving.get_custom_objects().update({"C": C})
        """,
        # A project decorator whose code registers what it decorates, and Keras' own export.
        """
        import keras
        from keras.src.api_export import keras_export


        def maybe_register(path, symbol):
            keras.saving.register_keras_serializable(package="demo", name=path)(symbol)


        class demo_export:
            def __init__(self, path):
                self.path = path

            def __call__(self, symbol):
                maybe_register(self.path, symbol)
                return symbol


        @demo_export("demo.Block")
        class Block(keras.layers.Layer):
            pass


        @keras_export("keras.layers.Other")
        class Other(keras.layers.Layer):
            pass
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class Block(keras.layers.Layer):
                pass
            """,
            expected_fixed="""
            import keras

            @keras.saving.register_keras_serializable()
            class Block(keras.layers.Layer):
                pass
            """,
        ),
        Invalid(
            """
            \"\"\"Blocks.\"\"\"
            from keras import layers as L

            @some_other_decorator
            class Block(L.Dense):
                pass
            """,
            expected_fixed="""
            \"\"\"Blocks.\"\"\"
            from keras import layers as L
            import keras

            @keras.saving.register_keras_serializable()
            @some_other_decorator
            class Block(L.Dense):
                pass
            """,
        ),
        Invalid(
            """
            from keras.layers import Layer
            import keras

            class Base(Layer):
                pass

            class Child(Base):
                pass
            """,
            count=2,
            expected_fixed="""
            from keras.layers import Layer
            import keras

            @keras.saving.register_keras_serializable()
            class Base(Layer):
                pass

            @keras.saving.register_keras_serializable()
            class Child(Base):
                pass
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            class Old(tf.keras.layers.Layer):
                pass
            """,
            expected_fixed="""
            import tensorflow as tf
            import keras

            @keras.saving.register_keras_serializable()
            class Old(tf.keras.layers.Layer):
                pass
            """,
        ),
        # A decorator that does not register (it only records the name) is not enough.
        Invalid(
            """
            import keras

            NAMES = {}


            def tagged(cls):
                NAMES[cls.__name__] = cls
                return cls


            @tagged
            class Block(keras.layers.Layer):
                pass
            """,
            expected_fixed="""
            import keras

            NAMES = {}


            def tagged(cls):
                NAMES[cls.__name__] = cls
                return cls


            @keras.saving.register_keras_serializable()
            @tagged
            class Block(keras.layers.Layer):
                pass
            """,
        ),
    ]
