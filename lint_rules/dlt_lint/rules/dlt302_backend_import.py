"""DLT302: modules that define Keras classes do not import PyTorch or JAX."""

from __future__ import annotations

import ast

from dlt_lint.astwalk import child_statements, walk
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules._backend import backend_package, is_backend_test

_BACKENDS = ("torch", "jax")


def _backend_of(module: str | None) -> str | None:
    if not module:
        return None
    top = module.split(".")[0]
    return top if top in _BACKENDS else None


class BackendImport(Rule):
    """
    ## What it does
    Reports `import torch` and `import jax` in any form (`import torch.nn as nn`,
    `from jax import numpy as jnp`, `from torch.nn import functional`) in a module that
    defines a Keras layer or model class, where it ties the layers to that library: at module
    level (the module cannot be imported without it) or inside a Keras class. Each import
    statement is reported once. Not reported: an import inside a plain function (a test, a
    helper that compares against a reference implementation), and an import under a check
    of the active backend (`if keras.backend.backend() == "jax":`), which is the
    backend-aware way to write such code, and the modules of a backend implementation
    package (`<package>.backend.jax`, Keras' own layout), which are written for one backend.

    ## Why
    Keras 3 layers run on TensorFlow, JAX and PyTorch alike only when they are written with
    `keras.ops`. A layer module that imports one backend's library is tied to it: it fails to
    import where that library is missing and its tensors do not mix with the other backends'.

    ## Example
    ```python
    import jax.numpy as jnp
    import keras

    class Scale(keras.layers.Layer):
        def call(self, x):
            return jnp.tanh(x)
    ```

    ## Use instead
    ```python
    import keras
    from keras import ops

    class Scale(keras.layers.Layer):
        def call(self, x):
            return ops.tanh(x)
    ```

    ## Fix safety
    No fix: replacing backend calls needs a human to pick the `keras.ops` equivalents.
    """

    code = "DLT302"
    name = "backend-specific-import"
    summary = "torch / jax imported in a module that defines Keras classes"
    keras_only = True
    needles = ("torch", "jax")

    def visit_Import(self, node: ast.Import) -> None:
        found = sorted({b for a in node.names if (b := _backend_of(a.name))})
        if found:
            self._report(node, found)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        backend = _backend_of(node.module) if node.level == 0 else None
        if backend:
            self._report(node, [backend])

    _reportable: set[int] | None = None

    def _tied_imports(self) -> set[int]:
        """Imports at module level or inside a Keras class, not under a backend check."""
        out: set[int] = set()
        stack: list[ast.AST] = list(self.ctx.tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out.add(id(node))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue  # a plain function's imports do not reach the layers
            elif isinstance(node, ast.ClassDef):
                if self.ctx.keras_class(node):
                    out.update(id(n) for n in walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))
                               and id(n) not in self._guarded_in(node))
            elif isinstance(node, ast.If) and is_backend_test(node.test):
                continue
            else:
                stack.extend(child_statements(node))
        return out

    @staticmethod
    def _guarded_in(root: ast.AST) -> set[int]:
        return {id(sub) for n in walk(root) if isinstance(n, ast.If) and is_backend_test(n.test)
                for sub in walk(n) if isinstance(sub, (ast.Import, ast.ImportFrom))}

    def _report(self, node: ast.stmt, backends: list[str]) -> None:
        if not self.ctx.keras_classes or backend_package(self.ctx.sem.module):
            return
        if self._reportable is None:
            self._reportable = self._tied_imports()
        if id(node) not in self._reportable:
            return
        names = " and ".join(f"`{b}`" for b in backends)
        self.report(node, f"Import of {names} in a module that defines Keras classes; "
                          "use keras.ops so the layers run on every backend")

    VALID = [
        # No Keras class in the module.
        """
        import torch

        def to_numpy(t):
            return t.detach().numpy()
        """,
        # Names that merely contain the backend's name.
        """
        import keras
        import torchvision_like
        from jaxtyping_like import Array

        class Block(keras.layers.Layer):
            pass
        """,
        # Mentioned only in text.
        '''
        import keras

        class Block(keras.layers.Layer):
            """Ported from a torch implementation; `import jax` is not needed."""
        ''',
        # Backend-aware code: imported only when that backend is the active one.
        """
        import keras
        from keras import backend

        class Block(keras.layers.Layer):
            def call(self, x):
                if backend.backend() == "jax":
                    import jax

                    return jax.nn.relu(x)
                elif keras.config.backend() in ("torch",):
                    import torch

                    return torch.relu(x)
                return keras.ops.relu(x)
        """,
        # A test that compares against a reference implementation.
        """
        import keras

        class Block(keras.layers.Layer):
            pass

        def test_block_matches_jax():
            import jax.numpy as jnp

            assert jnp.allclose(Block()(1.0), 1.0)
        """,
        Valid(
            """
            import jax
            import keras


            class JaxOnlyTrainer(keras.Model):
                pass
            """,
            path="mylib/backend/jax/trainer.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            import keras
            import torch

            class Block(keras.layers.Layer):
                pass
            """,
        ),
        Invalid(
            """
            from keras import layers
            import torch.nn as nn, jax
            from jax import numpy as jnp
            from torch.nn.functional import gelu

            class Block(layers.Layer):
                pass
            """,
            count=3,
        ),
        # The Keras class comes from a base defined in the same file.
        Invalid(
            """
            from keras.layers import Layer

            class Base(Layer):
                pass

            class Child(Base):
                def call(self, x):
                    import jax.numpy as jnp
                    return jnp.tanh(x)
            """,
        ),
        # Inside the layer's own code.
        Invalid(
            """
            import keras

            class Block(keras.layers.Layer):
                def call(self, x):
                    import jax

                    return jax.nn.relu(x)
            """,
        ),
    ]
