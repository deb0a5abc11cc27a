"""Logging for the CLI: short lines on stderr, an optional detailed log file."""

from __future__ import annotations

import logging

from ..errors import WriteError


class _ShortFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            message = f"{record.levelname.lower()}: {message}"
        if record.exc_info:  # `neat --debug`: a plugin's failure with its traceback
            message += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            message += "\n" + self.formatStack(record.stack_info)
        return message


def configure_logging(verbose: int = 0, quiet: bool = False, log_file: str | None = None) -> None:
    """Route the ``neat`` loggers to stderr (and ``log_file``) at the chosen level."""
    logger = logging.getLogger("neat")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    console = logging.StreamHandler()
    console.setFormatter(_ShortFormatter())
    console.setLevel(logging.ERROR if quiet else
                     (logging.DEBUG if verbose else logging.INFO))
    logger.addHandler(console)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    if log_file:
        try:
            file_handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as error:  # before any work is done, not after
            raise WriteError(f"cannot write log file {log_file}: {error.strerror or error}",
                             hint="pass a writable path to --log-file") from None
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(file_handler)
