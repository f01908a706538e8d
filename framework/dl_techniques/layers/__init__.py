"""Keras 3 layers of the ``dl_techniques`` framework.

Layers live in subpackages grouped by kind (``activations``, ``norms``, ``attention``,
``embedding``, ``ffn``, ``transformers``, ...); import them from there, e.g.
``from dl_techniques.layers.norms import create_normalization_layer``.
"""
