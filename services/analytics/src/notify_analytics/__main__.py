"""Entry point: ``notify-analytics`` runs one analytics worker (docs/analytics.md)."""

from __future__ import annotations

import asyncio
import gc
import logging

import mode.loop
from faust import Worker

from notify_analytics import metrics
from notify_analytics.settings import AnalyticsSettings
from notify_analytics.sources import SOURCES, check_copartitioned
from notify_analytics.web import add_views
from notify_analytics.worker import build_app
from notify_common.logs import configure_logging
from notify_common.provision import provision_topics

log = logging.getLogger(__name__)
GC_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect young objects less often: counting allocates a few small objects per event, and
    with the default threshold (700) the collector ran every few hundred events and walked the
    state's long-lived objects far more often than needed (about a quarter of the CPU time of
    bench/analytics's in-process decode and count). What exists at start is frozen out of it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def use_uvloop() -> None:
    """Make every event loop of the process a uvloop one: the worker's own and the one faust's
    consumer thread makes for itself (faust's default is asyncio's, whose socket and callback
    handling was most of what the worker's loops spent beside counting). faust's way to choose it;
    it must come before any loop is made."""
    mode.loop.use("uvloop")


def main() -> int:
    use_uvloop()
    settings = AnalyticsSettings()
    configure_logging("analytics", settings.log_level)
    log.info("starting", extra={"settings": settings.redacted()})
    check_copartitioned()
    if settings.kafka_provision_topics:
        asyncio.run(provision_topics(settings))
    metrics.start([s.name for s in SOURCES])
    app, states = build_app(settings)
    add_views(app, settings, states)
    tune_garbage_collector()
    # The logging configured above stays (faust would set up its own, coloured, text format),
    # and the worker prints no banner or progress spinner: every line is JSON, as every
    # service's is.
    worker = Worker(
        app, loglevel=settings.log_level.lower(), redirect_stdouts=False, override_logging=False, quiet=True
    )
    worker.spinner = None
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
