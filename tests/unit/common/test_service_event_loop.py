"""Every service runs on uvloop's event loop, whose socket I/O costs about half asyncio's own."""

from __future__ import annotations

import asyncio

import uvloop

from notify_common.runtime import run_on_uvloop


def test_a_service_runs_on_uvloops_event_loop_and_gets_its_result_back() -> None:
    async def main() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run_on_uvloop(main()) == uvloop.Loop.__module__
