"""DLT501: public functions and methods carry type hints."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import PurePath
from typing import Iterator

from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.semantic import Semantic

OVERLOAD = frozenset({"typing.overload", "typing_extensions.overload"})
OVERRIDE = frozenset({"typing.override", "typing_extensions.override"})
TEST_DIRS = frozenset({"tests", "test"})


def is_test_file(filename: str) -> bool:
    """``test_*.py``, ``*_test.py``, ``conftest.py``, or any file under a ``tests/`` directory."""
    path = PurePath(filename.replace("\\", "/"))
    name = path.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in TEST_DIRS for part in path.parts[:-1])


def is_public(name: str) -> bool:
    """No leading underscore, or a dunder (``__init__``, ``__call__``)."""
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__") and len(name) > 4)


def decorator_names(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, sem: Semantic) -> set[str]:
    """Resolved (or plain dotted) names of the decorators, ``name.setter`` as written."""
    out: set[str] = set()
    for dec in func.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        resolved = sem.resolve(target)
        if resolved:
            out.add(resolved)
        if isinstance(target, ast.Name):
            out.add(target.id)
        elif isinstance(target, ast.Attribute):
            out.add("." + target.attr)  # ``.setter`` / ``.deleter`` / ``.getter``
    return out


@dataclass
class PublicDef:
    """A public function, method or class, with the class that holds it (None at module level)."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    owner: ast.ClassDef | None
    decorators: set[str]

    @property
    def is_method(self) -> bool:
        """Defined directly in a class body."""
        return self.owner is not None and not isinstance(self.node, ast.ClassDef)

    @property
    def is_overload(self) -> bool:
        """Decorated with ``typing.overload``."""
        return bool(self.decorators & (OVERLOAD | {"overload"}))

    @property
    def is_accessor(self) -> bool:
        """A property setter / deleter (documented and typed by its getter)."""
        return bool(self.decorators & {".setter", ".deleter"})


def public_definitions(tree: ast.Module, sem: Semantic) -> Iterator[PublicDef]:
    """Public module-level functions and classes, and the public methods and nested classes of
    public classes. Functions nested in functions are not public API and are skipped."""

    def in_class(cls: ast.ClassDef) -> Iterator[PublicDef]:
        for stmt in _flatten(cls.body):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_public(stmt.name):
                yield PublicDef(stmt, cls, decorator_names(stmt, sem))
            elif isinstance(stmt, ast.ClassDef) and is_public(stmt.name) and not stmt.name.startswith("__"):
                yield PublicDef(stmt, cls, decorator_names(stmt, sem))
                yield from in_class(stmt)

    for stmt in _flatten(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and not stmt.name.startswith("_"):
            yield PublicDef(stmt, None, decorator_names(stmt, sem))
        elif isinstance(stmt, ast.ClassDef) and not stmt.name.startswith("_"):
            yield PublicDef(stmt, None, decorator_names(stmt, sem))
            yield from in_class(stmt)


def _flatten(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a block, looking into ``if`` / ``try`` (conditional definitions) but not
    into ``if __name__ == "__main__":`` blocks."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            if is_main_guard(stmt):
                continue
            yield from _flatten(stmt.body)
            yield from _flatten(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody, *[h.body for h in stmt.handlers]):
                yield from _flatten(block)
        else:
            yield stmt


def is_main_guard(stmt: ast.AST) -> bool:
    """``if __name__ == "__main__":`` (either operand order)."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


class MissingTypeHints(Rule):
    """
    ## What it does
    Reports a public function or method whose parameters or return value lack type hints.
    Public means: a module-level function or class whose name does not start with `_`, and
    the methods (including dunders such as `__init__` and `__call__`) of a public class. The
    first parameter of a method (`self` / `cls`) needs no hint, nor does the return of
    `__init__` or of a property setter / deleter. Skipped: `@overload` stubs, functions
    nested in functions, lambdas, code under `if __name__ == "__main__":`, and test files
    (`test_*.py`, `*_test.py`, `conftest.py`, anything under a `tests/` directory).

    ## Why
    The framework's code-quality standard asks for complete signatures: hints document the
    API, let editors and type checkers catch misuse, and let tools (the agent, the linter)
    reason about the code.

    ## Example
    ```python
    def scale(x, factor=2.0):
        return x * factor
    ```

    ## Use instead
    ```python
    def scale(x: keras.KerasTensor, factor: float = 2.0) -> keras.KerasTensor:
        return x * factor
    ```

    ## Fix safety
    No fix: the right types are a human decision.
    """

    code = "DLT501"
    name = "missing-type-hints"
    summary = "Public function or method without type hints on parameters or return"

    def visit_Module(self, node: ast.Module) -> None:
        """Check the module."""
        if is_test_file(self.ctx.filename):
            return
        for item in public_definitions(node, self.ctx.sem):
            if isinstance(item.node, ast.ClassDef) or item.is_overload:
                continue
            missing = self._missing(item)
            if missing:
                kind = "method" if item.is_method else "function"
                label = f"{item.owner.name}.{item.node.name}" if item.owner else item.node.name
                self.report(self.ctx.name_range(item.node),
                            f"public {kind} `{label}` lacks type hints: {', '.join(missing)}")

    @staticmethod
    def _missing(item: PublicDef) -> list[str]:
        func = item.node
        assert isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
        args = func.args
        positional = args.posonlyargs + args.args
        if item.is_method and "staticmethod" not in item.decorators and "builtins.staticmethod" not in item.decorators:
            positional = positional[1:]
        missing = [f"`{a.arg}`" for a in positional + args.kwonlyargs if a.annotation is None]
        if args.vararg is not None and args.vararg.annotation is None:
            missing.append(f"`*{args.vararg.arg}`")
        if args.kwarg is not None and args.kwarg.annotation is None:
            missing.append(f"`**{args.kwarg.arg}`")
        needs_return = not (item.is_method and func.name == "__init__") and not item.is_accessor
        if needs_return and func.returns is None:
            missing.append("return type")
        return missing

    VALID = [
        """
        from typing import Any

        def scale(x: float, factor: float = 2.0) -> float:
            return x * factor

        class Block:
            def __init__(self, dim: int, **kwargs: Any):
                self.dim = dim

            def call(self, inputs: Any, *args: Any) -> Any:
                return inputs

            @property
            def width(self) -> int:
                return self.dim

            @width.setter
            def width(self, value: int):
                self.dim = value

            @classmethod
            def make(cls, dim: int) -> "Block":
                return cls(dim)

            @staticmethod
            def helper(x: int) -> int:
                return x
        """,
        # Private names, private classes, nested functions, overloads, __main__ blocks.
        """
        from typing import overload

        def _private(x):
            return x

        class _Hidden:
            def run(self, x):
                return x

        class Shown:
            def _inner(self, x):
                return x

        def outer() -> None:
            def nested(y):
                return y
            nested(1)

        @overload
        def pick(x: int) -> int: ...
        @overload
        def pick(x: str) -> str: ...
        def pick(x: object) -> object:
            return x

        if __name__ == "__main__":
            def main(argv):
                return argv
        """,
        # Test files are skipped.
        Valid(
            """
            def test_something(tmp_path):
                assert tmp_path
            """,
            path="tests/test_thing.py",
        ),
        Valid(
            """
            def helper(x):
                return x
            """,
            path="pkg/tests/helpers.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            def scale(x, factor=2.0):
                return x * factor
            """,
            message_contains="public function `scale` lacks type hints: `x`, `factor`, return type",
        ),
        Invalid(
            """
            import keras

            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)

                def call(self, inputs) -> keras.KerasTensor:
                    return inputs

                def __call__(self, *args: object, **kwargs):
                    return super().__call__(*args, **kwargs)

                @staticmethod
                def helper(x: int):
                    return x
            """,
            count=4,
        ),
        Invalid(
            """
            async def fetch(url: str):
                return url

            class Outer:
                class Inner:
                    def run(self, x: int):
                        return x
            """,
            count=2,
        ),
    ]
