"""Tests for dl_techniques.utils.logger."""

from __future__ import annotations

import importlib
import logging
import sys

import dl_techniques.utils.logger as logger_module
import pytest
from dl_techniques.utils.logger import get_logger, logger


@pytest.fixture
def reload_logger(monkeypatch):
    """Reload the logger module under a patched environment, restore afterwards."""

    def _reload(level: str | None):
        if level is None:
            monkeypatch.delenv("DL_TECHNIQUES_LOG_LEVEL", raising=False)
        else:
            monkeypatch.setenv("DL_TECHNIQUES_LOG_LEVEL", level)
        return importlib.reload(logger_module).logger

    yield _reload
    monkeypatch.delenv("DL_TECHNIQUES_LOG_LEVEL", raising=False)
    importlib.reload(logger_module)


def _own_handlers(target: logging.Logger) -> list:
    """Handlers installed by the framework (pytest adds its own capture handlers too)."""
    return [h for h in target.handlers if getattr(h, "_dl_techniques_handler", False)]


def test_logger_defaults():
    assert isinstance(logger, logging.Logger)
    assert logger.name == "dl_techniques"
    assert logger.propagate is False
    own = _own_handlers(logger)
    assert len(own) == 1
    assert isinstance(own[0], logging.StreamHandler)
    assert own[0].stream is sys.stderr
    assert own[0].formatter is not None


def test_logger_writes_to_current_stderr(capsys):
    logger.info("hello from the framework")
    captured = capsys.readouterr()
    assert "hello from the framework" in captured.err
    assert "INFO" in captured.err and "dl_techniques" in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("value,expected", [
    (None, logging.INFO), ("DEBUG", logging.DEBUG), ("warning", logging.WARNING),
    ("40", logging.ERROR), ("nonsense", logging.INFO),
])
def test_level_from_environment(reload_logger, value, expected):
    assert reload_logger(value).level == expected


def test_reload_does_not_duplicate_handlers(reload_logger):
    reloaded = reload_logger("INFO")
    reloaded = reload_logger("INFO")
    assert len(_own_handlers(reloaded)) == 1


def test_child_logger_propagates_once(capsys):
    child = get_logger("layers.test")
    assert child.name == "dl_techniques.layers.test"
    assert child.parent is logger or child.parent.name.startswith("dl_techniques")
    assert get_logger("dl_techniques.layers.test") is child
    assert get_logger() is logger
    child.warning("child message")
    err = capsys.readouterr().err
    assert err.count("child message") == 1
    assert "dl_techniques.layers.test" in err


def test_debug_is_filtered_at_info(capsys, reload_logger):
    reloaded = reload_logger("INFO")
    reloaded.debug("hidden detail")
    assert "hidden detail" not in capsys.readouterr().err
