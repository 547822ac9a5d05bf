"""One switch for the platform's own instrumentation: ``NOTIFY_INSTRUMENTATION=off`` turns off the
Prometheus series of ``notify_common.metrics`` (nothing is counted or timed; ``/metrics`` still
answers, with prometheus-client's own process series) and tracing (no trace context is made,
carried or read, not even ids for the logs). It is a measurement aid: the same platform run with
and without it shows what the instrumentation costs. Read once, when a service starts."""

from __future__ import annotations

import os
from collections.abc import Mapping

from notify_common import metrics, tracing

VARIABLE = "NOTIFY_INSTRUMENTATION"
_ON, _OFF = frozenset({"", "on", "true", "1"}), frozenset({"off", "false", "0"})


def instrumentation_on(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``NOTIFY_INSTRUMENTATION`` leaves the instrumentation on (unset: on)."""
    value = environ.get(VARIABLE, "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ValueError(f"unsupported {VARIABLE} {value!r}: use on or off")


def setup_instrumentation(service: str, environ: Mapping[str, str] = os.environ) -> None:
    """This process's metrics and tracing for ``service``, as ``NOTIFY_INSTRUMENTATION`` says;
    tracing on is as ``tracing.setup_tracing`` makes it (exporting only if configured)."""
    on = instrumentation_on(environ)
    metrics.count(on)
    if on:
        tracing.setup_tracing(service, environ)
    else:
        tracing.use(None)
