"""Utilities shared by the ``dl_techniques`` framework.

The framework logger is imported from its module: ``from dl_techniques.utils.logger import
logger``. (It is deliberately not re-exported here: binding the name ``logger`` in this package
would shadow the ``dl_techniques.utils.logger`` submodule.)
"""

from dl_techniques.utils.logger import get_logger

__all__ = ["get_logger"]
