"""The kinds of code ``dlt-agent`` generates and where each one goes by default."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["KindSpec", "KINDS", "get_kind", "framework_package_dir"]


@dataclass(frozen=True)
class KindSpec:
    """How one kind of layer is generated and registered."""

    kind: str  # "attention", "ffn", "norm", "embedding", "layer", "model"
    command: str  # CLI command, "new-attention"
    subpackage: tuple[str, ...]  # default destination below the framework package
    template: str  # module template file name
    test_template: str  # test template file name
    has_factory: bool  # registered in ``<dest>/factory.py``
    factory_function: str | None  # preferred ``create_*`` function of the factory
    registry_names: tuple[str, ...]  # names of the registry dicts, for messages
    description: str  # default one-line description (``{name}`` = class name)
    example_args: dict[str, Any]  # constructor arguments of the generated tests
    input_shape: tuple[int, ...]  # test input shape (batch first)
    output_shape: tuple[int, ...]
    invalid_args: dict[str, Any]  # arguments the constructor must reject
    options: tuple[str, ...] = field(default=())  # template-shaping options it accepts


KINDS: dict[str, KindSpec] = {
    "attention": KindSpec(
        kind="attention",
        command="new-attention",
        subpackage=("layers", "attention"),
        template="attention.py.j2",
        test_template="test_attention.py.j2",
        has_factory=True,
        factory_function="create_attention_layer",
        registry_names=("_ATTENTION_LAYER_REGISTRY", "_ATTENTION_PARAMS", "ATTENTION_REGISTRY"),
        description="Multi-head attention layer (starts as scaled dot-product attention).",
        example_args={"dim": 32, "num_heads": 4},
        input_shape=(2, 8, 32),
        output_shape=(2, 8, 32),
        invalid_args={"dim": 30, "num_heads": 4},
        options=("rope", "causal", "probability_type"),
    ),
    "ffn": KindSpec(
        kind="ffn",
        command="new-ffn",
        subpackage=("layers", "ffn"),
        template="ffn.py.j2",
        test_template="test_ffn.py.j2",
        has_factory=True,
        factory_function="create_ffn_layer",
        registry_names=("FFN_REGISTRY",),
        description="Feed-forward block (starts as a two-layer MLP).",
        example_args={"hidden_dim": 32, "output_dim": 8},
        input_shape=(2, 6, 16),
        output_shape=(2, 6, 8),
        invalid_args={"hidden_dim": 0},
    ),
    "norm": KindSpec(
        kind="norm",
        command="new-norm",
        subpackage=("layers", "norms"),
        template="norm.py.j2",
        test_template="test_norm.py.j2",
        has_factory=True,
        factory_function="create_normalization_layer",
        registry_names=("NORMALIZATION_REGISTRY",),
        description="Normalization layer (starts as layer normalization).",
        example_args={},
        input_shape=(2, 6, 16),
        output_shape=(2, 6, 16),
        invalid_args={"epsilon": 0.0},
    ),
    "embedding": KindSpec(
        kind="embedding",
        command="new-embedding",
        subpackage=("layers", "embedding"),
        template="embedding.py.j2",
        test_template="test_embedding.py.j2",
        has_factory=True,
        factory_function="create_embedding_layer",
        registry_names=("EMBEDDING_REGISTRY",),
        description="Embedding layer (starts as token plus learned position embedding).",
        example_args={"vocab_size": 50, "dim": 16, "max_seq_len": 32},
        input_shape=(2, 8),
        output_shape=(2, 8, 16),
        invalid_args={"vocab_size": 0},
    ),
    "layer": KindSpec(
        kind="layer",
        command="new-layer",
        subpackage=("layers",),
        template="layer.py.j2",
        test_template="test_layer.py.j2",
        has_factory=False,
        factory_function=None,
        registry_names=(),
        description="Custom Keras layer (starts as projection, activation and dropout).",
        example_args={"dim": 16},
        input_shape=(2, 6, 8),
        output_shape=(2, 6, 16),
        invalid_args={"dim": -1},
    ),
    "model": KindSpec(
        kind="model",
        command="new-model",
        subpackage=("models",),
        template="model.py.j2",
        test_template="test_model.py.j2",
        has_factory=False,
        factory_function=None,
        registry_names=(),
        description="Keras model (starts as a stack of residual feed-forward blocks).",
        example_args={"dim": 16, "num_layers": 2},
        input_shape=(2, 6, 16),
        output_shape=(2, 6, 16),
        invalid_args={"num_layers": 0},
    ),
}


def get_kind(kind: str) -> KindSpec:
    """The spec of ``kind``; ``ValueError`` listing the valid kinds otherwise."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    return KINDS[kind]


def framework_package_dir() -> Path | None:
    """Directory of the installed ``dl_techniques`` package, found without importing it."""
    spec = importlib.util.find_spec("dl_techniques")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()
