"""Structured logs on stderr: JSON lines in a cluster, readable lines on a terminal.

One handler on the standard library's root logger renders every line, ours (structlog) and the libraries'
(apscheduler, kubernetes, urllib3, Python warnings) alike, so a JSON stream holds nothing but JSON lines.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

LIBRARIES = ("apscheduler", "kubernetes", "urllib3", "py.warnings")
"""Their info lines (apscheduler's "Running job ..." on every poll) are shown only at level debug."""
RESPONSE_BODIES = "kubernetes.client.rest"
"""Logs every response body at debug (Secrets' data among them): never below info."""


def configure_logging(log_format: str, log_level: str = "info", stream: TextIO | None = None) -> None:
    """Every log line through one renderer at `log_level`; lines carry the bound context (the cycle id)."""
    level = logging.getLevelName(log_level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if log_format == "json"
        else [structlog.dev.ConsoleRenderer()]
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
    logging.getLogger(RESPONSE_BODIES).setLevel(max(level, logging.INFO))
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # a reconfiguration (tests) reaches loggers already used
    )
