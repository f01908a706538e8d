"""DLT304: random number generation lives in ``keras.random``, not ``keras.ops.random``."""

from __future__ import annotations

import ast

from dlt_lint.diagnostics import Edit, Fix
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules.dlt301_tensorflow_use import iter_chains, keras_import, raw_qualname
from dlt_lint.rules.dlt303_legacy_keras_import import alias_name_span, module_span
from dlt_lint.semantic import canonical

_WRONG = "keras.ops.random"


def _under(name: str | None) -> bool:
    return bool(name) and (name == _WRONG or name.startswith(_WRONG + "."))  # type: ignore[union-attr]


class OpsRandom(Rule):
    """
    ## What it does
    Reports `keras.ops.random` under any spelling: `keras.ops.random.normal(...)`,
    `ops.random.uniform(...)` after `from keras import ops`, `from keras.ops import random`,
    `from keras.ops.random import normal`, `import keras.ops.random as kr`.

    ## Why
    Keras 3 has no `keras.ops.random`: random sampling (`normal`, `uniform`, `dropout`,
    `shuffle`, `SeedGenerator`...) is the `keras.random` module. Code written against
    `keras.ops.random` fails with an `AttributeError` or `ImportError` as soon as it runs.

    ## Example
    ```python
    from keras import ops

    noise = ops.random.normal((2, 3))
    ```

    ## Use instead
    ```python
    import keras

    noise = keras.random.normal((2, 3))
    ```

    ## Fix safety
    Safe: the code cannot run as written. Attribute chains keep their call and become
    `keras.random.<fn>` (using a name already bound to `keras.random` when the module has
    one, else `keras.random` with `import keras` added). The rule does not introduce
    `from keras import random`, because a bare `random` is easily confused with (or shadowed
    by) the standard library module. Imports are rewritten in place:
    `from keras.ops import random` -> `from keras import random`,
    `from keras.ops.random import normal` -> `from keras.random import normal`,
    `import keras.ops.random as kr` -> `import keras.random as kr`.
    """

    code = "DLT304"

    fix_scope = "edit"
    name = "keras-ops-random"
    summary = "keras.ops.random does not exist; use keras.random"
    fix_availability = "safe"
    needles = ("random",)

    def visit_Module(self, node: ast.Module) -> None:
        heads = {h for h, q in self.ctx.sem.imports.names.items()
                 if q in ("keras", "keras.ops", "tensorflow", "tensorflow.keras",
                          "tensorflow.keras.ops")}
        for chain in iter_chains(self.ctx, heads):
            self._check_chain(chain)

    def _check_chain(self, chain: ast.expr) -> None:
        qual = raw_qualname(self.ctx, chain)
        if not _under(canonical(qual)):
            return
        # The `.random` attribute itself must be spelled in the chain; a name imported from
        # keras.ops.random is reported at its import.
        node: ast.AST = chain
        target = None
        while isinstance(node, ast.Attribute):
            if node.attr == "random" and canonical(raw_qualname(self.ctx, node)) == _WRONG:
                target = node
                break
            node = node.value
        if target is None:
            return
        self.report(chain, f"`{self.ctx.text(chain)}`: keras.ops has no `random`; use "
                           "`keras.random`", self._chain_fix(target))

    def _chain_fix(self, target: ast.Attribute) -> Fix | None:
        edits: list[Edit] = []
        local = next((n for n, q in sorted(self.ctx.sem.imports.names.items())
                      if q == "keras.random"), None)
        if local is None:
            found = keras_import(self.ctx)
            if found is None:
                return None
            if found[0] is not None:
                edits.append(found[0])
            local = f"{found[1]}.random"
        edits.append(self.ctx.replace(target, local))
        return self.fix(f"Replace with `{local}`", edits)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level != 0 or not node.module:
            return
        module = node.module
        if canonical(module) == "keras.ops" and any(a.name == "random" for a in node.names):
            fix = None
            if len(node.names) == 1 and module == "keras.ops":
                fix = self._module_fix(node, "keras")
            self.report(node, "`keras.ops` has no `random`; import `random` from `keras`", fix)
        elif _under(canonical(module)):
            fix = None
            if _under(module):
                fix = self._module_fix(node, "keras.random" + module[len(_WRONG):])
            self.report(node, f"`{module}` does not exist; import from `keras.random`", fix)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _under(canonical(alias.name)):
                fix = None
                span = alias_name_span(self.ctx, alias)
                if span is not None and _under(alias.name):
                    new = "keras.random" + alias.name[len(_WRONG):]
                    fix = self.fix(f"Import `{new}`", [Edit(span[0], span[1], new)])
                self.report(alias, f"`{alias.name}` does not exist; import `keras.random`", fix)

    def _module_fix(self, node: ast.ImportFrom, new: str) -> Fix | None:
        span = module_span(self.ctx, node)
        if span is None:
            return None
        return self.fix(f"Import from `{new}`", [Edit(span[0], span[1], new)])

    VALID = [
        """
        import keras
        from keras import ops, random

        a = keras.random.normal((2,))
        b = random.uniform((2,))
        c = ops.add(a, b)
        """,
        # The standard library and NumPy have their own `random`.
        """
        import random
        import numpy as np

        x = random.random() + np.random.rand()
        """,
        # A local object with an `ops.random` attribute is not keras.
        """
        def f(ops):
            return ops.random.normal((2,))
        """,
        '''
        """Do not write keras.ops.random.normal(...)."""
        import keras
        ''',
    ]
    INVALID = [
        Invalid(
            """
            from keras import ops

            noise = ops.random.normal((2, 3), seed=1)
            """,
            expected_fixed="""
            from keras import ops
            import keras

            noise = keras.random.normal((2, 3), seed=1)
            """,
        ),
        Invalid(
            """
            import keras as K

            def f(x):
                return K.ops.random.uniform(K.ops.shape(x)) * x
            """,
            expected_fixed="""
            import keras as K

            def f(x):
                return K.random.uniform(K.ops.shape(x)) * x
            """,
        ),
        Invalid(
            """
            from keras.ops import random
            from keras.ops.random import normal as gauss
            import keras.ops.random as kr

            x = random.normal((1,)) + gauss((1,)) + kr.uniform((1,))
            """,
            count=3,
            expected_fixed="""
            from keras import random
            from keras.random import normal as gauss
            import keras.random as kr

            x = random.normal((1,)) + gauss((1,)) + kr.uniform((1,))
            """,
        ),
        # An existing `keras.random` binding is reused.
        Invalid(
            """
            from keras import ops
            from keras import random as kr

            gen = ops.random.SeedGenerator(0)
            """,
            expected_fixed="""
            from keras import ops
            from keras import random as kr

            gen = kr.SeedGenerator(0)
            """,
        ),
    ]
