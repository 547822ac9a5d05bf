"""Log lines written a batch at a time: the service logs a line for every callback attempt, and
through ``Logger.info`` each line was a record of its own (its caller looked up on the stack) and
a write and flush of its own to the log file, a system call per callback. Here the batch's
records go to each handler together; a plain ``StreamHandler`` (the services' JSON lines to
stdout) gets them formatted as ever but in one write and one flush. Any other handler, or a filter
on the way, sees every record as ``Logger.info`` would give it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence


def info_each(logger: logging.Logger, message: str, extras: Sequence[Mapping[str, object]]) -> None:
    """Logs ``message`` at INFO once for each of ``extras`` (its fields, as ``extra=``), in order,
    as ``logger.info`` would, the lines for a stream handler written at once."""
    if not extras or logger.disabled or not logger.isEnabledFor(logging.INFO):
        return
    records = [
        logger.makeRecord(logger.name, logging.INFO, "(batch)", 0, message, (), None, extra=dict(extra))
        for extra in extras
    ]
    kept = [record for record in records if logger.filter(record)]
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if handler.level <= logging.INFO:
                _emit(handler, kept)
        if not current.propagate:
            break
        current = current.parent


def _emit(handler: logging.Handler, records: list[logging.LogRecord]) -> None:
    # Only the plain class: a subclass (a file handler opening its file late, pytest's capture)
    # may do more in ``emit`` than write to its stream.
    if type(handler) is not logging.StreamHandler:
        for record in records:
            handler.handle(record)
        return
    kept = [record for record in records if handler.filter(record)]
    if not kept:
        return
    parts: list[str] = []
    for record in kept:
        try:
            parts.append(handler.format(record) + handler.terminator)
        except Exception:
            handler.handleError(record)  # as ``emit`` does: the line is lost, not the others
    if not parts:
        return
    text = "".join(parts)
    handler.acquire()
    try:
        handler.stream.write(text)
        handler.flush()
    except Exception:
        handler.handleError(kept[0])
    finally:
        handler.release()
