"""The SDK's log: progress lines on stderr, like Optuna's, unless the program configures logging."""

from __future__ import annotations

import logging
import sys

__all__ = ["set_verbosity", "disable_default_handler"]

_logger = logging.getLogger("autoglm")
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("[autoglm %(asctime)s] %(message)s"))


def _install() -> None:
    # One handler of our own at INFO, so `study.optimize` shows its progress out of the box
    # (as Optuna does); not propagated, so a program's own root handler does not print it twice.
    if _handler not in _logger.handlers:
        _logger.addHandler(_handler)
    if _logger.level == logging.NOTSET:
        _logger.setLevel(logging.INFO)
    _logger.propagate = False


def set_verbosity(level: int) -> None:
    """``autoglm.set_verbosity(logging.WARNING)`` hides the per-trial lines."""
    _logger.setLevel(level)


def disable_default_handler() -> None:
    """Hand the ``autoglm`` logger to the program's own logging configuration."""
    _logger.removeHandler(_handler)
    _logger.propagate = True


_install()
