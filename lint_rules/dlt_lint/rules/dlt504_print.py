"""DLT504: library code logs instead of printing."""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from dlt_lint.config import _glob_match
from dlt_lint.context import FileContext
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules.dlt501_type_hints import is_main_guard, is_test_file

OPTION = "quality.print-allowed"
# Scripts and entry points print by design.
DEFAULT_ALLOWED = ("examples/*", "scripts/*", "benchmarks/*", "**/examples/*", "**/scripts/*",
                   "**/benchmarks/*", "__main__.py", "cli.py")


class PrintInLibrary(Rule):
    """
    ## What it does
    Reports a call of the built-in `print(...)` (also `builtins.print`) in library code.
    Not reported: code under `if __name__ == "__main__":`, test files (`test_*.py`,
    `*_test.py`, `conftest.py`, files under `tests/`), and files matching the globs of the
    option `quality.print-allowed` (default: `examples/`, `scripts/` and `benchmarks/`
    directories, `__main__.py` and `cli.py` modules, whose job is to print). A `print` that is
    imported (`from rich import print`) or defined in the module is not the built-in and is
    not reported.

    ## Why
    A library must not write to stdout: callers cannot silence or redirect it, and it
    corrupts machine-readable output. The framework logger
    (`from dl_techniques.utils.logger import logger`) has levels and handlers.

    ## Example
    ```python
    print(f"built {self.name} with {self.dim} units")
    ```

    ## Use instead
    ```python
    from dl_techniques.utils.logger import logger

    logger.info("built %s with %d units", self.name, self.dim)
    ```

    ## Fix safety
    No fix: the right log level (and whether the message should exist) is a human decision.
    """

    code = "DLT504"
    name = "print-in-library"
    summary = "print() in library code; use the framework logger"
    needles = ("print",)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._skip = is_test_file(ctx.filename) or self._allowed_path()
        self._main_blocks: list[tuple[int, int]] = []

    def _allowed_path(self) -> bool:
        patterns = self.ctx.option(OPTION, None)
        if patterns is None:
            patterns = DEFAULT_ALLOWED
        elif isinstance(patterns, str):
            patterns = [patterns]
        rel = self.ctx.config.relative(self.ctx.filename)
        name = PurePosixPath(rel).name
        for pattern in patterns:
            pattern = str(pattern)
            if _glob_match(rel, pattern) or ("/" not in pattern and name == pattern):
                return True
        return False

    def visit_Module(self, node: ast.Module) -> None:
        """Check the module."""
        for stmt in node.body:
            if is_main_guard(stmt):
                self._main_blocks.append((stmt.lineno, stmt.end_lineno or stmt.lineno))

    def visit_Call(self, node: ast.Call) -> None:
        """Check one call."""
        if self._skip:
            return
        func = node.func
        if isinstance(func, ast.Name) and func.id == "print":
            if "print" in self.ctx.sem.imports.names or "print" in self.ctx.sem.local_defs:
                return
        elif not (isinstance(func, ast.Attribute) and self.ctx.sem.resolve(func) == "builtins.print"):
            return
        if any(a <= node.lineno <= b for a, b in self._main_blocks):
            return
        self.report(node, "print() in library code; use the framework logger "
                          "(dl_techniques.utils.logger)")

    VALID = [
        """
        from dl_techniques.utils.logger import logger

        def run():
            logger.info("done")

        if __name__ == "__main__":
            print("running as a script")
        """,
        """
        from rich import print

        print("[bold]styled[/bold]")
        """,
        Valid(
            """
            print("example output")
            """,
            path="examples/demo.py",
        ),
        Valid(
            """
            print("usage: ...")
            """,
            path="pkg/cli.py",
        ),
        Valid(
            """
            def test_it(capsys):
                print("x")
            """,
            path="tests/test_it.py",
        ),
        Valid(
            """
            print("configured")
            """,
            path="tools/report.py",
            options={"quality": {"print-allowed": ["tools/*"]}},
        ),
    ]
    INVALID = [
        Invalid(
            """
            def build(dim):
                print(f"building {dim}")
                return dim
            """,
        ),
        Invalid(
            """
            import builtins
            import keras

            class Block(keras.layers.Layer):
                def call(self, x):
                    builtins.print(x.shape)
                    return x

            if __name__ == "__main__":
                pass

            print("after the guard")
            """,
            count=2,
        ),
        # The defaults no longer apply once the option is set.
        Invalid(
            """
            print("x")
            """,
            path="examples/demo.py",
            options={"quality": {"print-allowed": []}},
        ),
    ]
