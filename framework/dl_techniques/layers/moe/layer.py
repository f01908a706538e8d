"""Mixture of experts over FFN experts built by the FFN factory."""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Tuple

import keras
from keras import ops

from dl_techniques.layers.activations import ProbabilityOutput
from dl_techniques.layers.ffn import create_ffn_from_config
from dl_techniques.layers.moe.config import GATING_TYPES


@keras.saving.register_keras_serializable(package="dl_techniques")
class MixtureOfExperts(keras.layers.Layer):
    """Top-k routed mixture of FFN experts with load-balancing and router z losses.

    Every expert is created from ``ffn_config`` through the FFN factory. A router scores each
    token against each expert (``linear``: a dense projection; ``cosine``: cosine similarity
    with learned expert embeddings, scaled by a learned temperature), keeps the ``top_k``
    experts per token, renormalises their probabilities and mixes the expert outputs. With
    ``drop_tokens`` an expert takes at most ``capacity_factor * top_k * tokens / num_experts``
    tokens per batch; the rest of its assignments are dropped (the residual, when enabled,
    still carries those tokens).

    Args:
        num_experts: Number of experts.
        ffn_config: FFN factory config of one expert (``type`` and its arguments).
        gating_type: ``"linear"`` or ``"cosine"``.
        top_k: Experts per token.
        capacity_factor: Slack on the per-expert token budget.
        aux_loss_weight: Weight of the load-balancing loss.
        z_loss_weight: Weight of the router z loss (mean squared log-sum-exp of the logits).
        drop_tokens: Enforce the capacity budget.
        use_residual_connection: Add the input to the output (needs equal widths).
    """

    def __init__(
        self,
        num_experts: int,
        ffn_config: Dict[str, Any],
        gating_type: str = "linear",
        top_k: int = 2,
        capacity_factor: float = 1.25,
        aux_loss_weight: float = 0.01,
        z_loss_weight: float = 1e-3,
        drop_tokens: bool = True,
        use_residual_connection: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if num_experts < 1:
            raise ValueError(f"num_experts must be >= 1, got {num_experts}")
        if not 1 <= top_k <= num_experts:
            raise ValueError(f"top_k must be in [1, num_experts={num_experts}], got {top_k}")
        if gating_type not in GATING_TYPES:
            raise ValueError(f"unknown gating_type '{gating_type}'; valid types: {list(GATING_TYPES)}")
        if not isinstance(ffn_config, dict) or "type" not in ffn_config:
            raise ValueError("ffn_config must be a dict with a 'type' key")
        self.num_experts = num_experts
        self.ffn_config = dict(ffn_config)
        self.gating_type = gating_type
        self.top_k = top_k
        self.capacity_factor = capacity_factor
        self.aux_loss_weight = aux_loss_weight
        self.z_loss_weight = z_loss_weight
        self.drop_tokens = drop_tokens
        self.use_residual_connection = use_residual_connection

        self.experts = [
            create_ffn_from_config({**self.ffn_config, "name": f"expert_{i}"})
            for i in range(num_experts)
        ]
        # Linear gating scores tokens with a dense projection; cosine gating uses expert
        # embeddings (created in build) and has no projection to train.
        self.router = (keras.layers.Dense(num_experts, use_bias=False, name="router")
                       if gating_type == "linear" else None)
        self.router_probs = ProbabilityOutput(probability_type="softmax", type_config={"axis": -1},
                                              name="router_probs")

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Build the router, the experts and the routing statistics."""
        dim = input_shape[-1]
        if dim is None:
            raise ValueError("the last input dimension must be known")
        if self.router is not None:
            self.router.build(input_shape)
        for expert in self.experts:
            expert.build(input_shape)
        self.router_probs.build(tuple(input_shape[:-1]) + (self.num_experts,))
        if self.gating_type == "cosine":
            self.expert_embeddings = self.add_weight(
                name="expert_embeddings", shape=(self.num_experts, dim),
                initializer="glorot_uniform")
            self.router_temperature = self.add_weight(
                name="router_temperature", shape=(), initializer=keras.initializers.Constant(10.0))
        self.expert_load = self.add_weight(
            name="expert_load", shape=(self.num_experts,), trainable=False,
            initializer=keras.initializers.Constant(1.0 / self.num_experts))
        out_shape = self.experts[0].compute_output_shape(input_shape)
        if self.use_residual_connection and out_shape[-1] != dim:
            raise ValueError(f"use_residual_connection needs expert output width {out_shape[-1]} "
                             f"to equal the input width {dim}")
        super().build(input_shape)

    def _logits(self, inputs: Any) -> Any:
        if self.gating_type == "linear":
            return self.router(inputs)
        x = inputs / (ops.norm(inputs, axis=-1, keepdims=True) + 1e-6)
        e = self.expert_embeddings / (ops.norm(self.expert_embeddings, axis=-1, keepdims=True) + 1e-6)
        return ops.matmul(x, ops.transpose(e)) * self.router_temperature

    def call(self, inputs: Any, training: Optional[bool] = None) -> Any:
        """Route tokens ``(..., dim)`` to experts and mix their outputs."""
        logits = self._logits(inputs)
        probs = self.router_probs(logits)
        flat_probs = ops.reshape(probs, (-1, self.num_experts))
        tokens = ops.shape(flat_probs)[0]

        top_vals, top_idx = ops.top_k(flat_probs, k=self.top_k)
        assignment = ops.sum(ops.one_hot(top_idx, self.num_experts, dtype=flat_probs.dtype), axis=1)
        if self.drop_tokens:
            capacity = ops.ceil(self.capacity_factor * self.top_k
                                * ops.cast(tokens, "float32") / self.num_experts)
            position = ops.cumsum(assignment, axis=0) * assignment
            assignment = assignment * ops.cast(position <= ops.cast(capacity, assignment.dtype),
                                               assignment.dtype)
        gates = flat_probs * assignment
        gates = gates / (ops.sum(gates, axis=-1, keepdims=True) + 1e-9)
        gates = ops.reshape(gates, ops.shape(probs))

        expert_out = ops.stack([expert(inputs, training=training) for expert in self.experts], axis=-1)
        output = ops.sum(expert_out * ops.expand_dims(gates, axis=-2), axis=-1)
        if self.use_residual_connection:
            output = output + inputs

        # Load balancing: fraction of assignments per expert times mean router probability.
        fraction = ops.mean(assignment, axis=0) / float(self.top_k)
        mean_prob = ops.mean(flat_probs, axis=0)
        if self.aux_loss_weight:
            self.add_loss(self.aux_loss_weight * self.num_experts * ops.sum(fraction * mean_prob))
        if self.z_loss_weight:
            z = ops.logsumexp(ops.reshape(logits, (-1, self.num_experts)), axis=-1)
            self.add_loss(self.z_loss_weight * ops.mean(ops.square(z)))
        if training:
            # Share of the tokens that were routed (dropped assignments are not counted).
            share = fraction / (ops.sum(fraction) + 1e-9)
            self.expert_load.assign(0.9 * self.expert_load + 0.1 * ops.cast(share, self.expert_load.dtype))
        return output

    def compute_output_shape(self, input_shape: Tuple[Optional[int], ...]) -> Tuple[Optional[int], ...]:
        """Same leading dimensions, expert output width."""
        return self.experts[0].compute_output_shape(input_shape)

    def get_expert_utilization(self) -> Dict[str, Any]:
        """Moving average of the share of routed tokens each expert received in training."""
        load = [float(v) for v in ops.convert_to_numpy(self.expert_load)]
        entropy = -sum(p * math.log(p) for p in load if p > 0)
        return {"expert_load": load, "load_entropy": entropy,
                "max_entropy": math.log(self.num_experts)}

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration."""
        config = super().get_config()
        config.update({
            "num_experts": self.num_experts,
            "ffn_config": self.ffn_config,
            "gating_type": self.gating_type,
            "top_k": self.top_k,
            "capacity_factor": self.capacity_factor,
            "aux_loss_weight": self.aux_loss_weight,
            "z_loss_weight": self.z_loss_weight,
            "drop_tokens": self.drop_tokens,
            "use_residual_connection": self.use_residual_connection,
        })
        return config
