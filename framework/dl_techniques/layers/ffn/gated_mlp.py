"""Gated MLP block for sequences (gMLP, Liu et al. 2021, "Pay Attention to MLPs").

::

    z        = activation(input_proj(x))                 # (batch, seq, hidden_dim)
    u, v     = split(z, 2, axis=-1)                      # each hidden_dim / 2
    v        = gate_norm(v)                              # layer norm
    gate     = W_s @ v + b_s      (gate_type="spatial")  # mixes along the sequence axis
             | gate_proj(v)       (gate_type="feature")  # mixes along the feature axis
    output   = output_proj(dropout(u * gate))

The *spatial* gating unit is the one of gMLP: a learned ``(seq_len, seq_len)`` matrix mixes
tokens, which lets the block exchange information across positions without attention; it
needs a fixed sequence length known at build time and rank-3 inputs. The *feature* gate
replaces the token mixing by a per-token linear map, so it works on any rank and any length
(a purely channel-wise gated MLP). In both cases the gate starts close to the identity
(near-zero weights, bias of ones), as recommended by the paper, so the block initially
behaves like a plain MLP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from dl_techniques.layers.ffn._base import ActivatedFFNBase
from dl_techniques.layers.norms import create_normalization_layer

_GATE_TYPES = ("spatial", "feature")
# Half-width of the uniform initializer of the gate weights ("near zero" in gMLP).
_GATE_INIT_SCALE = 1e-3


@keras.saving.register_keras_serializable(package="dl_techniques")
class GatedMLP(ActivatedFFNBase):
    """gMLP block with a spatial (token-mixing) or feature gating unit.

    :param hidden_dim: width of the input projection; must be even (it is split in half).
    :param output_dim: width of the output.
    :param activation: non-linearity after the input projection.
    :param gate_type: ``"spatial"`` (gMLP, mixes along the sequence; needs rank-3 inputs with
        a known length) or ``"feature"`` (mixes along the features; any rank / length).
    :param epsilon: epsilon of the layer normalization inside the gate.
    :param dropout_rate: dropout on the gated activations, in ``[0, 1)``.
    :param use_bias: whether the input / output projections have biases (the gate always
        has its bias, initialised to ones).
    :param kernel_initializer: kernel initializer of the input and output projections.
    :param bias_initializer: bias initializer of the input and output projections.
    :param kernel_regularizer: kernel regularizer of all projections including the gate.
    :param bias_regularizer: bias regularizer of the input and output projections.
    :param kwargs: base ``keras.layers.Layer`` arguments.

    Call: ``layer(inputs, training=None)``; ``(batch, seq_len, input_dim)`` ->
    ``(batch, seq_len, output_dim)`` (``feature`` gate: ``(..., input_dim)`` ->
    ``(..., output_dim)``).
    """

    def __init__(
        self,
        hidden_dim: int,
        output_dim: int,
        activation: str | Callable[..., Any] = "gelu",
        gate_type: str = "spatial",
        epsilon: float = 1e-6,
        dropout_rate: float = 0.0,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any | None = None,
        bias_regularizer: Any | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_dim, output_dim, activation, dropout_rate, use_bias,
            kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs
        )
        if hidden_dim % 2 != 0:
            raise ValueError(f"hidden_dim must be even (it is split in half), got {hidden_dim}.")
        if gate_type not in _GATE_TYPES:
            raise ValueError(f"gate_type must be one of {list(_GATE_TYPES)}, got {gate_type!r}.")
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon!r}.")
        self.gate_type = gate_type
        self.epsilon = epsilon
        self.gate_dim = hidden_dim // 2
        self.input_proj = self.make_dense(hidden_dim, name="input_proj")
        self.gate_norm = create_normalization_layer("layer_norm", name="gate_norm", epsilon=epsilon)
        self.gate_proj = None
        if gate_type == "feature":
            self.gate_proj = keras.layers.Dense(
                self.gate_dim,
                kernel_initializer=keras.initializers.RandomUniform(-_GATE_INIT_SCALE, _GATE_INIT_SCALE),
                bias_initializer="ones",
                kernel_regularizer=self.kernel_regularizer,
                name="gate_proj",
            )
        self.create_head()
        self.spatial_kernel = None
        self.spatial_bias = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build the projections, the gate normalization and the gating weights."""
        shape = tuple(input_shape)
        if self.gate_type == "spatial" and (len(shape) != 3 or shape[1] is None):
            raise ValueError(
                "GatedMLP with gate_type='spatial' needs (batch, seq_len, dim) inputs with a known "
                f"seq_len; got {shape}. Use gate_type='feature' for variable lengths."
            )
        self.input_proj.build(shape)
        hidden_shape = self.input_proj.compute_output_shape(shape)
        gate_shape = tuple(hidden_shape[:-1]) + (self.gate_dim,)
        self.gate_norm.build(gate_shape)
        if self.gate_proj is not None:
            self.gate_proj.build(gate_shape)
        else:
            seq_len = int(shape[1])
            self.spatial_kernel = self.add_weight(
                name="spatial_kernel",
                shape=(seq_len, seq_len),
                initializer=keras.initializers.RandomUniform(-_GATE_INIT_SCALE, _GATE_INIT_SCALE),
                regularizer=self.kernel_regularizer,
                trainable=True,
            )
            self.spatial_bias = self.add_weight(
                name="spatial_bias", shape=(seq_len,), initializer="ones", trainable=True
            )
        self.build_head(gate_shape)
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Project, gate and project back (see the module docstring)."""
        hidden = self.activation(self.input_proj(inputs))
        content, gate = ops.split(hidden, 2, axis=-1)
        gate = self.gate_norm(gate)
        if self.gate_proj is not None:
            gate = self.gate_proj(gate)
        else:
            gate = ops.einsum("ij,bjd->bid", self.spatial_kernel, gate)
            gate = gate + ops.expand_dims(self.spatial_bias, -1)
        gated = self.dropout(content * gate, training=training)
        return self.output_proj(gated)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for serialization."""
        config = super().get_config()
        config.update(
            {
                "gate_type": self.gate_type,
                "epsilon": self.epsilon,
            }
        )
        return config
