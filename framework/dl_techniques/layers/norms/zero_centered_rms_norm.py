"""Zero-centred RMS normalization: subtract the mean, then RMS-normalise."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from dl_techniques.layers.norms.rms_norm import RMSNorm


@keras.saving.register_keras_serializable(package="dl_techniques")
class ZeroCenteredRMSNorm(RMSNorm):
    """``c = x - mean(x, axis)``; ``y = c / sqrt(mean(c**2, axis) + epsilon) * scale``.

    Adds the re-centring of layer normalization to :class:`RMSNorm` (still without a bias),
    which keeps activations from drifting away from zero. Takes the same arguments as
    :class:`RMSNorm`.
    """

    def _normalise(self, x: Any) -> Any:
        """Centre ``x`` and RMS-normalise it over the resolved axes (no scale)."""
        centred = x - ops.mean(x, axis=self._axes, keepdims=True)
        return super()._normalise(centred)
