"""A configurable multi-layer perceptron as a Keras model."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import keras

from dl_techniques.layers.norms import create_normalization_layer
from dl_techniques.models._checks import check_positive_int, check_rate


@keras.saving.register_keras_serializable(package="dl_techniques")
class FeedForwardNetwork(keras.Model):
    """Stack of hidden blocks followed by a linear output projection.

    Hidden block ``i`` computes ``dropout(activation(norm(dense_i(x))))``; the norm is
    present only when ``normalization_type`` is given (created through the norms factory).
    With ``use_residual=True`` a block whose input width equals its output width adds its
    input back (``x + block(x)``); blocks that change the width have no shortcut. The
    output layer is linear (no activation), so the model returns logits / raw values.

    Input ``(batch, ..., features)``, output ``(batch, ..., output_dim)``.

    :param hidden_dims: widths of the hidden blocks (may be empty: a linear model).
    :param output_dim: width of the output.
    :param activation: hidden non-linearity (name or callable).
    :param dropout_rate: dropout after every hidden activation, in ``[0, 1)``.
    :param normalization_type: norms factory type (``"layer_norm"``, ``"rms_norm"``, ...)
        applied before each activation, or ``None`` for no normalization.
    :param use_residual: add identity shortcuts around width-preserving blocks.
    :param kwargs: base ``keras.Model`` arguments (``name``, ...).
    """

    def __init__(
        self,
        hidden_dims: Sequence[int],
        output_dim: int,
        activation: Union[str, Callable[..., Any]] = "gelu",
        dropout_rate: float = 0.0,
        normalization_type: Optional[str] = None,
        use_residual: bool = False,
        **kwargs: Any,
    ) -> None:
        """Validate the arguments and create the dense, norm and dropout layers."""
        super().__init__(**kwargs)
        if isinstance(hidden_dims, (str, bytes)) or not isinstance(hidden_dims, Sequence):
            raise ValueError(f"hidden_dims must be a list of positive integers, got {hidden_dims!r}")
        for index, width in enumerate(hidden_dims):
            check_positive_int(f"hidden_dims[{index}]", width)
        check_positive_int("output_dim", output_dim)
        check_rate("dropout_rate", dropout_rate)
        self.hidden_dims = [int(width) for width in hidden_dims]
        self.output_dim = output_dim
        self.activation = keras.activations.get(activation)
        self.dropout_rate = dropout_rate
        self.normalization_type = normalization_type
        self.use_residual = bool(use_residual)
        # Per block: does it get an identity shortcut (decided in build from the widths).
        self._block_residual: Tuple[bool, ...] = (False,) * len(self.hidden_dims)

        self.hidden_layers = [
            keras.layers.Dense(width, name=f"hidden_{index}") for index, width in enumerate(self.hidden_dims)
        ]
        self.norm_layers = []
        if normalization_type is not None:
            self.norm_layers = [
                create_normalization_layer(normalization_type, name=f"norm_{index}")
                for index in range(len(self.hidden_dims))
            ]
        self.dropout_layers = [
            keras.layers.Dropout(dropout_rate, name=f"dropout_{index}") for index in range(len(self.hidden_dims))
        ]
        self.output_layer = keras.layers.Dense(output_dim, name="output")

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build every block on the width it receives, then the output layer."""
        shape = tuple(input_shape)
        if len(shape) < 2 or shape[-1] is None:
            raise ValueError(f"FeedForwardNetwork needs inputs (batch, ..., features) with known features, got {shape}")
        residual = []
        for index, width in enumerate(self.hidden_dims):
            block_shape = shape[:-1] + (width,)
            self.hidden_layers[index].build(shape)
            if self.norm_layers:
                self.norm_layers[index].build(block_shape)
            self.dropout_layers[index].build(block_shape)
            residual.append(self.use_residual and shape[-1] == width)
            shape = block_shape
        self._block_residual = tuple(residual)
        self.output_layer.build(shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: Optional[bool] = None) -> Any:
        """Run the hidden blocks and the output projection.

        :param inputs: ``(batch, ..., features)``.
        :param training: enables dropout.
        :return: ``(batch, ..., output_dim)``.
        """
        x = inputs
        for index, dense in enumerate(self.hidden_layers):
            h = dense(x)
            if self.norm_layers:
                h = self.norm_layers[index](h, training=training)
            h = self.activation(h)
            h = self.dropout_layers[index](h, training=training)
            x = x + h if self._block_residual[index] else h
        return self.output_layer(x)

    def compute_output_shape(self, input_shape: Tuple[Optional[int], ...]) -> Tuple[Optional[int], ...]:
        """``input_shape[:-1] + (output_dim,)``."""
        return tuple(input_shape)[:-1] + (self.output_dim,)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update(
            {
                "hidden_dims": list(self.hidden_dims),
                "output_dim": self.output_dim,
                "activation": keras.activations.serialize(self.activation),
                "dropout_rate": self.dropout_rate,
                "normalization_type": self.normalization_type,
                "use_residual": self.use_residual,
            }
        )
        return config
