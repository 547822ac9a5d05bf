"""Benchmark: one sms-sender instance against the provider simulator.

1. Throughput: ``--burst`` requests are written to Kafka first; the sender is then started and
   the rate is measured from the first to the last message the simulator received.
2. Latency: requests are written at a steady ``--rate`` per second for ``--seconds``; each one's
   latency is from Kafka's acknowledgement of its request event (the moment the API would answer
   201) to the moment the simulator received it. Reports p50, p95, p99 and the share handed over
   within 1 s, and the CPU time per message of each process on the path (from /proc).
3. Fairness: ``--backlog`` requests are written to the bulk lane, then priority requests at
   ``--priority-rate`` per second for ``--seconds``; reports the priority requests' latency and how
   much of the backlog was still pending when the last of them arrived.

Uses the backing services of ``deploy/local`` (started if needed by ``make bench``), a database
and topic prefix of its own (both removed afterwards), and real service processes. Receipts are
off in the simulator: this measures the hand-over to the provider.

Run: ``make bench`` or ``.venv/bin/python bench/send/run.py [--burst N] [--rate R] [--seconds S]
[--backlog N] [--priority-rate R] [--profile DIR]`` (``--profile`` records py-spy stacks of the
sender and the simulator).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import _delete_topics  # noqa: E402
from tests.support import env  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.senders import free_port  # noqa: E402

from notify_common import topics  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.events import SmsRequested, now  # noqa: E402
from notify_common.kafka import EventProducer  # noqa: E402
from notify_common.provision import provision_topics  # noqa: E402
from notify_common.settings import CommonSettings  # noqa: E402


def request(created: datetime | None = None) -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id="8b3c8e1e-7d2a-4c55-9e43-2a4f4d8a0c11",
        template_id="5d1f4b0a-0f4e-4d8e-9a51-7c2f0e6b9a10",
        template_version=1,
        key_type="normal",
        phone_number="447700900123",
        international=False,
        sender="GOVUK",
        body="Your appointment is at 10:30 on Monday. Reply STOP to opt out.",
        fragment_count=1,
        created_at=created or now(),
    )


def received_at(simulator: str) -> dict[str, datetime]:
    messages = httpx.get(f"{simulator}/api/messages", timeout=60).json()["messages"]
    return {m["reference"]: datetime.fromisoformat(m["received_at"]) for m in messages}


def pid_cpu(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far (Linux /proc); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(process: ServiceProcess) -> float:
    assert process.process is not None
    return pid_cpu(process.process.pid)


def machine_busy_seconds() -> float:
    """CPU seconds spent by every process on the machine (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used between ``start`` and ``stop`` by the sender, the simulator, the benchmark's own
    database backends, the Kafka broker, this load generator and the whole machine."""

    def __init__(
        self, admin: Engine, db_name: str, sender: ServiceProcess, simulator: ServiceProcess
    ) -> None:
        self._admin, self._db_name = admin, db_name
        self._sender, self._simulator = sender, simulator
        kafka_pid = ROOT / ".local" / "run" / "kafka.pid"
        self._kafka = int(kafka_pid.read_text().split()[0]) if kafka_pid.exists() else None
        self._start: dict[str, float] = {}
        self._backends: dict[int, float] = {}

    def _backend_cpu(self) -> dict[int, float]:
        with self._admin.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :db"), {"db": self._db_name}
            ).scalars()
            return {int(pid): pid_cpu(int(pid)) for pid in pids}

    def _sample(self) -> dict[str, float]:
        return {
            "sms-sender": cpu_seconds(self._sender),
            "simulator": cpu_seconds(self._simulator),
            "kafka": pid_cpu(self._kafka) if self._kafka else 0.0,
            "load generator": pid_cpu(os.getpid()),
            "machine": machine_busy_seconds(),
        }

    def start(self) -> None:
        self._backends = self._backend_cpu()
        self._start = self._sample()

    def stop(self, messages: int) -> str:
        end = self._sample()
        backends = self._backend_cpu()
        used = {name: end[name] - self._start[name] for name in end}
        used["postgres"] = sum(cpu - self._backends.get(pid, 0.0) for pid, cpu in backends.items())
        order = ("sms-sender", "simulator", "postgres", "kafka", "load generator", "machine")
        per = ", ".join(f"{name} {used[name] / messages * 1e6:.0f}" for name in order)
        return f"CPU per message (us): {per} (load average {os.getloadavg()[0]:.1f})"


def count(simulator: str) -> int:
    value: int = httpx.get(f"{simulator}/api/stats", timeout=30).json()["messages"]
    return value


def repeats(simulator: str) -> str:
    """The simulator's count of messages handed over more than once (each reached a phone twice)."""
    stats = httpx.get(f"{simulator}/api/stats", timeout=30).json()
    return f"repeated hand-overs: {stats['duplicate_handovers']} {stats['duplicate_handovers_by_provider']}"


def wait_for(simulator: str, total: int, timeout: float, ids: set[str] | None = None) -> None:
    """Until the simulator has ``total`` messages (or, with ``ids``, every one of those)."""
    deadline = time.monotonic() + timeout
    while (count(simulator) < total) if ids is None else not ids <= received_at(simulator).keys():
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {count(simulator)} of {total} reached the simulator")
        time.sleep(0.25)


async def burst(settings: CommonSettings, n: int, topic: str = topics.SMS_REQUESTED) -> set[str]:
    """Writes ``n`` requests to ``topic``; returns their notification ids."""
    producer = EventProducer(settings, client_id="bench-send")
    await producer.start()
    ids: set[str] = set()
    try:
        for i in range(0, n, 2_000):
            batch = [request() for _ in range(min(2_000, n - i))]
            ids.update(r.notification_id or "" for r in batch)
            await producer.publish_many((topic, r) for r in batch)
    finally:
        await producer.stop()
    return ids


async def steady(settings: CommonSettings, rate: int, seconds: int) -> dict[str, datetime]:
    """Write ``rate`` requests a second in 20 ms slices; returns when each was acknowledged."""
    producer = EventProducer(settings, client_id="bench-send-steady")
    await producer.start()
    sent: dict[str, datetime] = {}
    slice_s = 0.02
    per_slice = max(1, round(rate * slice_s))
    try:
        start = time.monotonic()
        for i in range(int(seconds / slice_s)):
            batch = [request() for _ in range(per_slice)]
            await producer.publish_many((topics.SMS_REQUESTED, r) for r in batch)
            acknowledged = now()  # when the API would answer 201
            for r in batch:
                sent[r.notification_id or ""] = acknowledged
            delay = start + (i + 1) * slice_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
    finally:
        await producer.stop()
    return sent


def profile(directory: Path | None, phase: str, *processes: ServiceProcess) -> list[subprocess.Popen[bytes]]:
    """Starts py-spy (if installed in the venv) on each process; stopped by ``stop_profiles``."""
    if directory is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    spies = []
    for process in processes:
        assert process.process is not None
        out = directory / f"{phase}-{process.name}.txt"
        command = [str(ROOT / ".venv/bin/py-spy"), "record", "--pid", str(process.process.pid)]
        command += ["--format", "raw", "--rate", "200", "--nonblocking", "--output", str(out)]
        spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


def stop_profiles(spies: list[subprocess.Popen[bytes]]) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


def report_latency(sent: dict[str, datetime], arrived: dict[str, datetime]) -> None:
    latencies = [(arrived[nid] - created).total_seconds() for nid, created in sent.items()]
    within = sum(1 for value in latencies if value <= 1.0) / len(latencies)
    start = min(sent.values())
    windows: dict[int, list[float]] = {}
    for nid, created in sent.items():
        windows.setdefault(int((created - start).total_seconds() // 5), []).append(
            (arrived[nid] - created).total_seconds()
        )
    trend = ", ".join(f"{statistics.median(v) * 1000:.0f}" for _, v in sorted(windows.items()))
    print(f"  median latency per 5 s of the run (ms): {trend}")
    print(
        f"  {len(latencies)} messages: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms; {within:.2%} within 1 s"
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=30_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument(
        "--backlog", type=int, default=60_000, help="bulk backlog of the fairness run; 0 skips it"
    )
    parser.add_argument("--priority-rate", type=int, default=100, help="priority requests/s over the backlog")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="record py-spy profiles (collapsed stacks) of the sender and simulator in this directory",
    )
    args = parser.parse_args()
    # Stopped with SIGTERM, still clean up the processes, database and topics below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    run = uuid.uuid4().hex[:8]
    db_name = f"notify_bench_{run}"
    admin = create_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    database_url = env.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
    upgrade(database_url)
    settings = CommonSettings(kafka_bootstrap_servers=env.KAFKA, kafka_topic_prefix=f"bench-{run}.")
    asyncio.run(provision_topics(settings))
    logs = Path(tempfile.mkdtemp(prefix="bench-send-"))
    simulator_port = free_port()
    service_env = env.service_env(
        NOTIFY_KAFKA_TOPIC_PREFIX=settings.kafka_topic_prefix,
        NOTIFY_DATABASE_URL=database_url,
        NOTIFY_SIMULATOR_URL=f"http://127.0.0.1:{simulator_port}",
        NOTIFY_SIMULATOR_SEND_RECEIPTS="false",
        NOTIFY_SIMULATOR_PRINTER="false",
        NOTIFY_LOG_LEVEL="WARNING",
    )
    simulator = ServiceProcess("provider-simulator", simulator_port, service_env, logs)
    sender = ServiceProcess("sms-sender", free_port(), service_env, logs)
    try:
        simulator.start()
        simulator.wait_ready()
        print(f"throughput: {args.burst} requests queued, then one sms-sender started")
        asyncio.run(burst(settings, args.burst))
        meter = CpuMeter(admin, db_name, sender, simulator)
        print(f"  load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
        sender.start()
        # CPU is counted from the first hand-over: the sender's start-up is not per-message work.
        while (first := count(simulator.url)) == 0:
            time.sleep(0.01)
        meter.start()
        spies = profile(args.profile, "burst", sender, simulator)
        wait_for(simulator.url, args.burst, timeout=300)
        stop_profiles(spies)
        print(f"  {meter.stop(args.burst - first)}")
        times = sorted(received_at(simulator.url).values())
        span = (times[-1] - times[0]).total_seconds()
        print(f"  {args.burst} handed over in {span:.1f} s: {args.burst / span:,.0f} SMS/s")
        print(f"  {repeats(simulator.url)}")
        httpx.delete(f"{simulator.url}/api/messages", timeout=30)

        print(f"latency: {args.rate}/s for {args.seconds} s")
        spies = profile(args.profile, "steady", sender, simulator)
        meter.start()
        sent = asyncio.run(steady(settings, args.rate, args.seconds))
        wait_for(simulator.url, len(sent), timeout=120)
        stop_profiles(spies)
        print(f"  {meter.stop(len(sent))}")
        print(f"  {repeats(simulator.url)}")
        report_latency(sent, received_at(simulator.url))

        if args.backlog:
            httpx.delete(f"{simulator.url}/api/messages", timeout=30)
            print(
                f"fairness: {args.backlog} bulk requests queued, then priority requests at "
                f"{args.priority_rate}/s for {args.seconds} s"
            )
            backlog = asyncio.run(burst(settings, args.backlog, topics.SMS_REQUESTED_BULK))
            urgent = asyncio.run(steady(settings, args.priority_rate, args.seconds))
            wait_for(simulator.url, len(urgent), timeout=120, ids=set(urgent))
            arrived = received_at(simulator.url)
            bulk_times = sorted(arrived[nid] for nid in backlog if nid in arrived)
            span = (bulk_times[-1] - bulk_times[0]).total_seconds() if len(bulk_times) > 1 else 0.0
            print(
                f"  bulk: {len(bulk_times)} handed over at {len(bulk_times) / max(span, 1e-9):,.0f} SMS/s "
                f"meanwhile; {len(backlog) - len(bulk_times)} still pending after the last priority one"
            )
            report_latency(urgent, arrived)
    finally:
        sender.kill()
        simulator.kill()
        asyncio.run(_delete_topics(settings))
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()
        print(f"logs: {logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
