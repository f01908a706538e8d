"""dlt-agent: generates dl_techniques layers from templates (registered in the factories,
linted with dlt-lint, validated for serialization) and validates existing Keras classes.

Submodules: :mod:`dlt_agent.cli` (console script ``dlt-agent``), :mod:`dlt_agent.pipeline`
(generation), :mod:`dlt_agent.codemod` (LibCST registration), :mod:`dlt_agent.validator`
(serialization round trips, ``validate_path`` for ``dlt-lint --runtime``).
"""

__version__ = "0.1.0"
