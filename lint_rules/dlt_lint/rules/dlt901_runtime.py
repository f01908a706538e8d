"""DLT901: the serialization round trip, run with ``dlt-lint --runtime``."""

from __future__ import annotations

from dlt_lint.rule import Rule


class RuntimeRoundTrip(Rule):
    """
    ## What it does
    With `dlt-lint --runtime`, imports each linted module that defines Keras classes in a
    separate process with a time limit, instantiates every registered Keras class with
    arguments inferred from the standard names (`dim`, `num_heads`, `head_dim`,
    `hidden_dim`, ...), builds it, calls it on random input, round-trips `get_config` ->
    `from_config`, saves a model holding it to `.keras`, loads it in a fresh process and
    compares the outputs (to 1e-6). Each failed stage is reported with the exception message.
    The check runs on every installed backend (TensorFlow, JAX).

    ## Why
    The static rules catch most serialization mistakes, but only running the layer proves it:
    a `get_config` key with the wrong value, a weight created lazily in `call`, an output that
    changes after reload. This is the check a 1.5-hour test suite would otherwise perform.

    ## Example
    ```python
    @keras.saving.register_keras_serializable()
    class Scale(keras.layers.Layer):
        def __init__(self, factor: float = 2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return super().get_config()  # forgets `factor`: reload changes the output
    ```

    ## Use instead
    ```python
        def get_config(self):
            config = super().get_config()
            config.update({"factor": self.factor})
            return config
    ```

    ## Fix safety
    No fix. The check needs `dlt-agent` and Keras (`pip install 'dlt-devkit[framework]'`).
    """

    code = "DLT901"
    name = "serialization-round-trip"
    summary = "Serialization round trip failed (run with --runtime)"
    # Emitted by the runtime validator, never by a tree visit.
    needles = ("\x00dlt901",)
