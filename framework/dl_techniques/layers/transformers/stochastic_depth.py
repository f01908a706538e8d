"""Stochastic depth (drop path) for residual branches."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dl_techniques")
class StochasticDepth(keras.layers.Layer):
    """Drop a whole residual branch per sample (Huang et al., 2016, "drop path").

    In training each sample's input is zeroed with probability ``drop_rate`` and otherwise
    scaled by ``1 / (1 - drop_rate)``, so the expected value is unchanged. At inference the
    layer is the identity. Apply it to the branch output before adding the shortcut.

    :param drop_rate: probability of dropping the branch, in ``[0, 1)``.
    :param seed: optional seed of the layer's random generator.
    """

    def __init__(self, drop_rate: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        """Validate the rate and create the random seed generator."""
        super().__init__(**kwargs)
        if isinstance(drop_rate, bool) or not isinstance(drop_rate, (int, float)) or not (
            0.0 <= float(drop_rate) < 1.0
        ):
            raise ValueError(f"drop_rate must be in [0, 1), got {drop_rate!r}")
        self.drop_rate = float(drop_rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """No weights; marks the layer as built."""
        super().build(input_shape)

    def call(self, inputs: Any, training: Optional[bool] = None) -> Any:
        """Drop the input per sample in training; identity otherwise.

        :param inputs: branch output ``(batch, ...)``.
        :param training: whether the layer is in training mode.
        :return: tensor of the input's shape.
        """
        if not training or self.drop_rate == 0.0:
            return inputs
        keep_prob = 1.0 - self.drop_rate
        shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        noise = keras.random.uniform(shape, seed=self.seed_generator, dtype=inputs.dtype)
        keep = ops.floor(noise + ops.cast(keep_prob, inputs.dtype))
        return inputs * keep / ops.cast(keep_prob, inputs.dtype)

    def compute_output_shape(self, input_shape: Tuple[Optional[int], ...]) -> Tuple[Optional[int], ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({"drop_rate": self.drop_rate, "seed": self.seed})
        return config
