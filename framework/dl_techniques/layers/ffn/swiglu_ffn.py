"""SwiGLU feed-forward block (Shazeer 2020), as used by LLaMA, Mistral and Qwen.

``output_proj(dropout(silu(gate_proj(x)) * value_proj(x)))`` with no biases by default.
When ``hidden_dim`` is not given it follows the LLaMA sizing rule: two thirds of
``ffn_expansion_factor * output_dim`` (keeping the parameter count of a plain MLP with that
expansion), rounded up to a multiple of ``ffn_multiple_of``.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from dl_techniques.layers.ffn._base import ProjectionFFNBase, check_positive_int


def swiglu_hidden_dim(output_dim: int, ffn_expansion_factor: float = 4, ffn_multiple_of: int = 256) -> int:
    """``ffn_multiple_of * ceil(int(2 * ffn_expansion_factor * output_dim / 3) / ffn_multiple_of)``.

    :param output_dim: model width.
    :param ffn_expansion_factor: nominal expansion of a plain MLP.
    :param ffn_multiple_of: the hidden width is rounded up to a multiple of this.
    :return: the SwiGLU hidden width.
    """
    base = int(2 * ffn_expansion_factor * output_dim / 3)
    return ffn_multiple_of * math.ceil(base / ffn_multiple_of)


@keras.saving.register_keras_serializable(package="dl_techniques")
class SwiGLUFFN(ProjectionFFNBase):
    """SwiGLU FFN with LLaMA-style hidden sizing.

    :param output_dim: width of the output.
    :param hidden_dim: width of the gated hidden layer; ``None`` derives it with
        :func:`swiglu_hidden_dim` from ``output_dim``, ``ffn_expansion_factor`` and
        ``ffn_multiple_of`` (which are then ignored otherwise).
    :param ffn_expansion_factor: nominal expansion used when ``hidden_dim`` is ``None``.
    :param ffn_multiple_of: rounding multiple used when ``hidden_dim`` is ``None``.
    :param dropout_rate: dropout on the gated hidden activations, in ``[0, 1)``.
    :param use_bias: whether the projections have biases (``False`` as in LLaMA).
    :param kernel_initializer: kernel initializer of all projections.
    :param bias_initializer: bias initializer of all projections.
    :param kernel_regularizer: kernel regularizer of all projections.
    :param bias_regularizer: bias regularizer of all projections.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, training=None)``, ``(..., input_dim)`` -> ``(..., output_dim)``.
    The hidden width actually used is ``self.intermediate_dim``.
    """

    optional_dims = ("hidden_dim",)

    def __init__(
        self,
        output_dim: int,
        hidden_dim: int | None = None,
        ffn_expansion_factor: float = 4,
        ffn_multiple_of: int = 256,
        dropout_rate: float = 0.0,
        use_bias: bool = False,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any | None = None,
        bias_regularizer: Any | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_dim, output_dim, dropout_rate, use_bias,
            kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs
        )
        check_positive_int("ffn_multiple_of", ffn_multiple_of)
        if isinstance(ffn_expansion_factor, bool) or not ffn_expansion_factor > 0:
            raise ValueError(f"ffn_expansion_factor must be > 0, got {ffn_expansion_factor!r}.")
        self.ffn_expansion_factor = ffn_expansion_factor
        self.ffn_multiple_of = ffn_multiple_of
        self.intermediate_dim = (
            hidden_dim
            if hidden_dim is not None
            else swiglu_hidden_dim(output_dim, ffn_expansion_factor, ffn_multiple_of)
        )
        self.gate_proj = self.make_dense(self.intermediate_dim, name="gate_proj")
        self.value_proj = self.make_dense(self.intermediate_dim, name="value_proj")
        self.create_head()

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build the gate, value and output projections."""
        self.gate_proj.build(input_shape)
        self.value_proj.build(input_shape)
        hidden_shape = self.gate_proj.compute_output_shape(input_shape)
        self.build_head(hidden_shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Apply ``output_proj(silu(gate) * value)`` to the last axis of ``inputs``."""
        hidden = keras.activations.silu(self.gate_proj(inputs)) * self.value_proj(inputs)
        hidden = self.dropout(hidden, training=training)
        return self.output_proj(hidden)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "ffn_expansion_factor": self.ffn_expansion_factor,
                "ffn_multiple_of": self.ffn_multiple_of,
            }
        )
        return config
