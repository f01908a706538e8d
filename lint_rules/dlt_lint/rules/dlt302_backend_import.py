"""DLT302: modules that define Keras classes do not import PyTorch or JAX."""

from __future__ import annotations

import ast

from dlt_lint.rule import Invalid, Rule

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
    defines a Keras layer or model class. Each import statement is reported once.

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

    def _report(self, node: ast.stmt, backends: list[str]) -> None:
        if not self.ctx.keras_classes:
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
    ]
