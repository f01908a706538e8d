"""Common base of the feed-forward blocks: shared arguments, config and dense construction."""

from __future__ import annotations

from typing import Any

import keras

InitializerLike = str | dict[str, Any] | keras.initializers.Initializer
RegularizerLike = str | dict[str, Any] | keras.regularizers.Regularizer | None


def check_positive_int(name: str, value: Any, allow_none: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is a positive ``int`` (or ``None`` if allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


@keras.saving.register_keras_serializable(package="dl_techniques")
class FFNBase(keras.layers.Layer):
    """Holds the arguments every FFN block shares and builds its dense projections.

    :param dropout_rate: dropout rate in ``[0, 1)`` applied to the hidden activations.
    :param use_bias: whether the projections have biases.
    :param kernel_initializer: initializer of every projection kernel.
    :param bias_initializer: initializer of every projection bias.
    :param kernel_regularizer: regularizer of every projection kernel.
    :param bias_regularizer: regularizer of every projection bias.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Subclasses create their sub-layers in ``__init__`` (with :meth:`make_dense`), build them
    in ``build`` and extend :meth:`get_config` with their own arguments.
    """

    def __init__(
        self,
        dropout_rate: float = 0.0,
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: RegularizerLike = None,
        bias_regularizer: RegularizerLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= dropout_rate < 1.0:
            raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate!r}.")
        self.dropout_rate = dropout_rate
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def make_dense(self, units: int, name: str, use_bias: bool | None = None) -> keras.layers.Dense:
        """A linear ``Dense`` projection with this block's bias / initializer / regularizer setup."""
        return keras.layers.Dense(
            units,
            use_bias=self.use_bias if use_bias is None else use_bias,
            kernel_initializer=keras.initializers.get(keras.initializers.serialize(self.kernel_initializer)),
            bias_initializer=keras.initializers.get(keras.initializers.serialize(self.bias_initializer)),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            name=name,
        )

    def get_config(self) -> dict[str, Any]:
        """Shared constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "dropout_rate": self.dropout_rate,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            }
        )
        return config
