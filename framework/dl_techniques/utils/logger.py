"""Framework-wide logger.

``logger`` is the ``logging.Logger`` named ``"dl_techniques"``. On import it gets one handler
that writes to the *current* ``sys.stderr`` with a short one-line format; its level comes from
the environment variable ``DL_TECHNIQUES_LOG_LEVEL`` (a level name such as ``DEBUG`` or a
number, default ``INFO``). The logger does not propagate to the root logger, so messages are
not printed twice when an application also configures logging. Child loggers obtained through
:func:`get_logger` propagate to it and share its handler.
"""

from __future__ import annotations

import logging
import os
import sys

LOGGER_NAME = "dl_techniques"
LEVEL_ENV_VAR = "DL_TECHNIQUES_LOG_LEVEL"
DEFAULT_LEVEL = logging.INFO
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%H:%M:%S"


class _CurrentStderrHandler(logging.StreamHandler):
    """A stream handler that always writes to whatever ``sys.stderr`` is at emit time.

    Resolving the stream lazily keeps the handler working when ``sys.stderr`` is replaced
    after import (test runners, notebooks, redirection helpers).
    """

    _dl_techniques_handler = True

    def __init__(self, level: int = logging.NOTSET) -> None:
        """Create the handler without binding a stream object."""
        logging.Handler.__init__(self, level)

    @property
    def stream(self):  # type: ignore[override]
        """The current ``sys.stderr``."""
        return sys.stderr


def _level_from_env() -> int:
    """Read the log level from ``DL_TECHNIQUES_LOG_LEVEL`` (name or number), default INFO."""
    raw = os.environ.get(LEVEL_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_LEVEL
    if raw.lstrip("-").isdigit():
        return int(raw)
    level = logging.getLevelName(raw.upper())
    return level if isinstance(level, int) else DEFAULT_LEVEL


def _configure(target: logging.Logger) -> logging.Logger:
    """Attach the framework handler once, set the level and stop propagation."""
    if not any(getattr(h, "_dl_techniques_handler", False) for h in target.handlers):
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt=DATE_FORMAT))
        target.addHandler(handler)
    target.setLevel(_level_from_env())
    target.propagate = False
    return target


logger: logging.Logger = _configure(logging.getLogger(LOGGER_NAME))


def get_logger(name: str | None = None) -> logging.Logger:
    """Return the framework logger or one of its children.

    :param name: child name such as ``"layers.norms"`` (or a full ``"dl_techniques.*"`` name);
        ``None`` or ``""`` returns the framework logger itself.
    :return: a logger below ``"dl_techniques"`` that inherits its handler and level.
    """
    if not name or name == LOGGER_NAME:
        return logger
    if name.startswith(LOGGER_NAME + "."):
        return logging.getLogger(name)
    return logging.getLogger(f"{LOGGER_NAME}.{name}")


__all__ = ["LEVEL_ENV_VAR", "LOGGER_NAME", "get_logger", "logger"]
