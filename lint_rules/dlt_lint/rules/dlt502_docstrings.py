"""DLT502: public classes, functions and methods have docstrings."""

from __future__ import annotations

import ast

from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules.dlt501_type_hints import OVERRIDE, PublicDef, is_test_file, public_definitions

# Dunder methods that are API in their own right; other dunders (``__repr__``, ``__len__``...)
# have fixed, documented meanings.
DOCUMENTED_DUNDERS = frozenset({"__init__", "__call__"})


class MissingDocstring(Rule):
    """
    ## What it does
    Reports a public class, function or method without a docstring. Public is decided as in
    DLT501 (no leading `_`; methods of public classes). Keras overrides such as `build`,
    `call`, `get_config` and `compute_output_shape` are public methods and need one too.
    Exempt: `@overload` stubs, property setters / deleters (the getter carries the
    docstring), methods marked `@typing.override` (they inherit the documentation of the
    method they override), dunder methods other than `__init__` and `__call__`, an
    `__init__` whose class has a docstring (the class docstring documents the constructor),
    functions nested in functions, code under `if __name__ == "__main__":`, and test files.

    ## Why
    The framework's code-quality standard asks for Sphinx-style docstrings on all public
    API: they are the documentation users and tools read.

    ## Example
    ```python
    class GatedBlock(keras.layers.Layer):
        def call(self, inputs):
            return inputs
    ```

    ## Use instead
    ```python
    class GatedBlock(keras.layers.Layer):
        \"\"\"Gate the input with a learned sigmoid.\"\"\"

        def call(self, inputs):
            \"\"\"Apply the gate.\"\"\"
            return inputs
    ```

    ## Fix safety
    No fix: a docstring must say something true.
    """

    code = "DLT502"
    name = "missing-docstring"
    summary = "Public class, function or method without a docstring"

    def visit_Module(self, node: ast.Module) -> None:
        """Check the module."""
        if is_test_file(self.ctx.filename):
            return
        for item in public_definitions(node, self.ctx.sem):
            if ast.get_docstring(item.node, clean=False) is not None or self._exempt(item):
                continue
            if isinstance(item.node, ast.ClassDef):
                kind = "class"
            else:
                kind = "method" if item.is_method else "function"
            label = f"{item.owner.name}.{item.node.name}" if item.owner else item.node.name
            self.report(self.ctx.name_range(item.node), f"public {kind} `{label}` has no docstring")

    @staticmethod
    def _exempt(item: PublicDef) -> bool:
        node = item.node
        if isinstance(node, ast.ClassDef):
            return False
        if item.is_overload or item.is_accessor or item.decorators & (OVERRIDE | {"override"}):
            return True
        name = node.name
        if name.startswith("__") and name.endswith("__"):
            if name not in DOCUMENTED_DUNDERS:
                return True
            if name == "__init__" and item.owner is not None and ast.get_docstring(item.owner) is not None:
                return True
        return False

    VALID = [
        '''
        """Module docstring."""
        import keras


        def scale(x):
            """Scale ``x``."""
            return x


        class Block(keras.layers.Layer):
            """A block."""

            def __init__(self, **kwargs):
                super().__init__(**kwargs)

            def call(self, inputs):
                """Return the inputs."""
                return inputs

            def __repr__(self):
                return "Block()"

            @property
            def width(self):
                """The width."""
                return 1

            @width.setter
            def width(self, value):
                pass
        ''',
        '''
        from typing import overload, override


        class _Private:
            def run(self):
                return 1


        class Child:
            """A child."""

            @override
            def run(self):
                return 2

            def _helper(self):
                return 3


        @overload
        def pick(x: int) -> int: ...
        @overload
        def pick(x: str) -> str: ...
        def pick(x):
            """Return ``x``."""
            return x


        if __name__ == "__main__":
            def main():
                return 0
        ''',
        Valid(
            """
            def test_behaviour():
                assert True
            """,
            path="test_behaviour.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            def scale(x):
                return x
            """,
            message_contains="public function `scale` has no docstring",
        ),
        Invalid(
            '''
            import keras

            class Block(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)

                def build(self, input_shape):
                    super().build(input_shape)

                def __call__(self, *args, **kwargs):
                    return super().__call__(*args, **kwargs)
            ''',
            count=4,
        ),
        Invalid(
            '''
            class Outer:
                """Documented."""

                class Inner:
                    """Documented too."""

                    async def run(self):
                        return 1
            ''',
            message_contains="public method `Inner.run` has no docstring",
        ),
    ]
