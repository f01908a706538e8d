"""DLT000: a file that cannot be read or parsed (documentation only; the linter emits it)."""

from __future__ import annotations

from dlt_lint.rule import Rule


class ParseError(Rule):
    """
    ## What it does
    Reports a file that dlt-lint cannot read (wrong encoding, missing permissions) or that
    Python cannot parse (a syntax error, a stray null byte). The diagnostic points at the
    place the parser gave up. No other rule runs on such a file; the remaining files of the
    run are still checked.

    ## Why
    Every other check needs the syntax tree. A file that does not parse cannot be imported
    either, so any layer it defines is unusable until the error is repaired. `--fix` never
    writes a result that does not parse, so this code cannot be produced by a fix.

    ## Example
    ```python
    class Block(keras.layers.Layer)
        def call(self, inputs):
            return inputs
    ```

    ## Use instead
    ```python
    class Block(keras.layers.Layer):
        def call(self, inputs):
            return inputs
    ```

    ## Fix safety
    No fix: repairing a syntax error needs a person.
    """

    code = "DLT000"
    name = "parse-error"
    summary = "File could not be read or parsed"
    fix_availability = "none"
    # The engine reports DLT000 itself; this class only carries the documentation and never
    # runs (the needle cannot occur in source text).
    needles = ("\x00dlt000",)
