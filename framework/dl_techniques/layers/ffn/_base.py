"""Common base of the feed-forward blocks: shared arguments, config and dense construction."""

from __future__ import annotations

from collections.abc import Callable
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


@keras.saving.register_keras_serializable(package="dl_techniques")
class ProjectionFFNBase(FFNBase):
    """An :class:`FFNBase` with a hidden width, an output width and a dropout + output head.

    Validates and stores ``hidden_dim`` / ``output_dim`` (either may be declared optional
    through :attr:`optional_dims`), creates the ``dropout`` / ``output_proj`` head on request
    (:meth:`create_head`, called by subclasses after their own projections so that sub-layer
    order is kept), builds it (:meth:`build_head`) and saves both widths in :meth:`get_config`.

    :param hidden_dim: width of the hidden layer.
    :param output_dim: width of the output.
    :param dropout_rate: dropout rate in ``[0, 1)`` applied to the hidden activations.
    :param use_bias: whether the projections have biases.
    :param kernel_initializer: initializer of every projection kernel.
    :param bias_initializer: initializer of every projection bias.
    :param kernel_regularizer: regularizer of every projection kernel.
    :param bias_regularizer: regularizer of every projection bias.
    :param kwargs: base ``keras.layers.Layer`` arguments.
    """

    #: Names of the width arguments that may be ``None``.
    optional_dims: tuple[str, ...] = ()

    def __init__(
        self,
        hidden_dim: int | None,
        output_dim: int | None,
        dropout_rate: float = 0.0,
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: RegularizerLike = None,
        bias_regularizer: RegularizerLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            dropout_rate=dropout_rate,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            **kwargs,
        )
        check_positive_int("hidden_dim", hidden_dim, allow_none="hidden_dim" in self.optional_dims)
        check_positive_int("output_dim", output_dim, allow_none="output_dim" in self.optional_dims)
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim

    def create_head(self, with_output_proj: bool = True) -> None:
        """Create the ``dropout`` sub-layer and (unless disabled) the ``output_proj`` projection.

        :param with_output_proj: also create ``output_proj`` (``output_dim`` units).
        """
        self.dropout = keras.layers.Dropout(self.dropout_rate, name="dropout")
        if with_output_proj:
            self.output_proj = self.make_dense(self.output_dim, name="output_proj")

    def build_head(self, hidden_shape: tuple[int | None, ...]) -> None:
        """Build ``dropout`` and ``output_proj`` on the hidden activations' shape.

        :param hidden_shape: shape of the hidden activations.
        """
        self.dropout.build(hidden_shape)
        self.output_proj.build(hidden_shape)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``input_shape[:-1] + (output_dim,)``."""
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self) -> dict[str, Any]:
        """Shared constructor arguments plus both widths for serialization."""
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim, "output_dim": self.output_dim})
        return config


@keras.saving.register_keras_serializable(package="dl_techniques")
class ActivatedFFNBase(ProjectionFFNBase):
    """A :class:`ProjectionFFNBase` with one hidden non-linearity, ``activation``.

    :param hidden_dim: width of the hidden layer.
    :param output_dim: width of the output.
    :param activation: hidden non-linearity (name or callable).
    :param dropout_rate: dropout rate in ``[0, 1)`` applied to the hidden activations.
    :param use_bias: whether the projections have biases.
    :param kernel_initializer: initializer of every projection kernel.
    :param bias_initializer: initializer of every projection bias.
    :param kernel_regularizer: regularizer of every projection kernel.
    :param bias_regularizer: regularizer of every projection bias.
    :param kwargs: base ``keras.layers.Layer`` arguments.
    """

    def __init__(
        self,
        hidden_dim: int | None,
        output_dim: int | None,
        activation: str | Callable[..., Any] = "linear",
        dropout_rate: float = 0.0,
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: RegularizerLike = None,
        bias_regularizer: RegularizerLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_dim,
            output_dim,
            dropout_rate=dropout_rate,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            **kwargs,
        )
        self.activation = keras.activations.get(activation)

    def get_config(self) -> dict[str, Any]:
        """Shared constructor arguments, both widths and the activation for serialization."""
        config = super().get_config()
        config.update({"activation": keras.activations.serialize(self.activation)})
        return config
