"""DLT201: Keras classes must be registered for serialization."""

from __future__ import annotations

import ast
from typing import Iterator

from dlt_lint import keras_facts as kf
from dlt_lint.rule import Invalid, Rule


def module_level_classes(body: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """Classes defined at module level (also inside module-level ``if`` / ``try`` blocks)."""
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            yield stmt
        elif isinstance(stmt, ast.If):
            yield from module_level_classes(stmt.body)
            yield from module_level_classes(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody, *[h.body for h in stmt.handlers]):
                yield from module_level_classes(block)


class MissingRegistration(Rule):
    """
    ## What it does
    Reports a Keras layer or model class that is not decorated with
    `@keras.saving.register_keras_serializable()` (any spelling: `keras.saving.`,
    `keras.utils.`, or the decorator imported by name).

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
    not change what the class computes. Abstract classes are not reported.
    """

    code = "DLT201"

    fix_scope = "edit"
    name = "missing-register-serializable"
    summary = "Keras class is not decorated with @keras.saving.register_keras_serializable()"
    fix_availability = "safe"
    keras_only = True

    def visit_Module(self, node: ast.Module) -> None:
        for cls in module_level_classes(node.body):
            if not self.ctx.keras_class(cls) or kf.is_registered(cls, self.ctx.sem):
                continue
            if self.ctx.abstract_class(cls):
                continue
            self.report(self.ctx.name_range(cls),
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
            import keras
            from keras import layers as L

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
            import keras
            import tensorflow as tf

            @keras.saving.register_keras_serializable()
            class Old(tf.keras.layers.Layer):
                pass
            """,
        ),
    ]
