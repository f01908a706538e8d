"""dlt-lint: a linter for Keras 3 layers written for the dl_techniques framework."""

from dlt_lint.diagnostics import Diagnostic, Edit, Fix, Position

__version__ = "0.1.0"

__all__ = ["Diagnostic", "Edit", "Fix", "Position", "__version__"]
