"""Benchmark: the provider simulator's own CPU per receipt.

The simulator runs as a real process; ``--messages`` (20,000) MMG sends are handed to it by 32
concurrent clients, once with receipts off and once with receipts on, posted to a receipts
endpoint in another process that answers 200 at once. With receipts on the run ends when
``/api/stats`` says every receipt was taken. Reported: the simulator's CPU time (from
``/proc/<pid>/stat``) per message in each run, their difference (the CPU a receipt costs, from the
schedule to the post and its answer), receipts posted, retried and dropped, and the load average.
CPU time is what contention distorts least; the wall time of each run is printed for information.

Run: ``bash bench/simulator/run.sh`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support import env  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.senders import free_port  # noqa: E402

from bench.proc import cpu_seconds  # noqa: E402

# A receipts endpoint that takes everything at once, in a process of its own.
RECEIVER = """
import sys
from aiohttp import web
async def take(request):
    await request.read()
    return web.Response(status=200)
app = web.Application()
app.router.add_post("/{tail:.*}", take)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


async def hand_over(url: str, messages: int, concurrency: int = 32) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(messages):
            queue.put_nowait(n)

        async def one_client() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                body = {"MSISDN": f"4477009{n % 1_000_000:06d}", "msg": "Hi", "cid": str(uuid.uuid4())}
                for attempt in range(3):
                    try:
                        response = await client.post("/mmg", json=body)
                        response.raise_for_status()
                        break
                    except httpx.TransportError:
                        # A kept-alive connection the server closed meanwhile: sent again (a
                        # repeat is a hand-over too, and is receipted again).
                        if attempt == 2:
                            raise

        await asyncio.gather(*(one_client() for _ in range(concurrency)))


def run(messages: int, receipts: bool, receiver_url: str, logs: Path) -> dict[str, Any]:
    port = free_port()
    process = ServiceProcess(
        "provider-simulator",
        port,
        env.service_env(
            NOTIFY_SIMULATOR_SEND_RECEIPTS="true" if receipts else "false",
            NOTIFY_SIMULATOR_PRINTER="false",
            NOTIFY_RECEIPTS_URL=receiver_url,
            NOTIFY_LOG_LEVEL="WARNING",
        ),
        logs,
    )
    process.start()
    try:
        process.wait_ready(timeout=600)
        assert process.process is not None
        pid = process.process.pid
        before, started = cpu_seconds(pid), time.monotonic()
        asyncio.run(hand_over(process.url, messages))
        stats: dict[str, Any] = {}
        while True:
            stats = httpx.get(f"{process.url}/api/stats", timeout=30).json()
            owed = stats.get("receipts_in_flight", 0)
            taken = stats.get("receipts_posted", stats["handovers"]) + stats["receipts_dropped"]
            if not receipts or (owed == 0 and taken >= stats["handovers"]):
                break
            time.sleep(0.5)
        cpu = cpu_seconds(pid) - before
        return {
            "handovers": stats["handovers"],
            "cpu_us_per_message": round(cpu / stats["handovers"] * 1e6, 1),
            "wall_s": round(time.monotonic() - started, 1),
            **{k: v for k, v in stats.items() if k.startswith("receipts_")},
        }
    finally:
        process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="bench-simulator-"))
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    try:
        receiver_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.post(receiver_url + "/ready", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        load_before = os.getloadavg()[0]
        off = run(args.messages, False, receiver_url, logs)
        on = run(args.messages, True, receiver_url, logs)
        results = {
            "messages": args.messages,
            "receipts_off": off,
            "receipts_on": on,
            "cpu_us_per_receipt": round(on["cpu_us_per_message"] - off["cpu_us_per_message"], 1),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(results, indent=2))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        return 0 if on.get("receipts_dropped", 1) == 0 else 1
    finally:
        receiver.kill()
        receiver.wait()


if __name__ == "__main__":
    raise SystemExit(main())
