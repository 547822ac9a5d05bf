"""Benchmark: a bulk SMS CSV from upload until every row has been handed to the provider simulator,
while another service sends single API texts at a steady rate.

1. A database and topic prefix of its own; two live services (limits out of the way): one sends
   the CSV, the other single texts. Real processes: api-gateway, job-splitter, sms-sender and the
   provider simulator (receipts off: this measures the hand-over to the provider).
2. A CSV of ``--rows`` rows (``NOTIFY_BULK_ROWS``, default 100,000) of UK mobiles is uploaded to
   ``POST /v2/jobs`` with ``notify-send-csv``'s client; the clock starts before the upload.
3. Meanwhile ``--single-rate`` (20/s) single texts go to ``POST /v2/notifications/sms`` from the
   other service, open loop; each one's latency is from its 201 to the simulator's receipt.
4. Reported: upload (validation included) time, the splitter's own rate (rows/s from job start to
   finish, and CPU per row), the end-to-end time to the last row at the simulator (exactly once
   checked), the single texts' p50/p99, CPU per row of each process, the splitter's peak RSS
   (VmHWM) and the load average.

With ``--receipts`` (``NOTIFY_BULK_RECEIPTS=1``) the whole lifecycle runs: the simulator posts a
receipt for every message (after its usual 100–1,000 ms), and the receipts service, projector and
callbacks are started too; single texts are off unless ``--single-rate`` is given (on a slowed
machine they would outnumber the job's rows). The clock then runs to the last row's ``delivered``
status in the projection (``notifications``, polled every second), and the simulator's
``/api/stats`` must show every receipt taken and none dropped.

With ``--rows`` above 100,000 the upload limits are raised for the run and the simulator's list of
messages is not fetched (too big): completion is read from its counts, and single texts are off.

Run: ``make bench`` (100,000 rows) or ``bash bench/bulk/run.sh``; ``NOTIFY_BULK_ROWS=1000000``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import _delete_topics  # noqa: E402
from tests.support import env  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.senders import free_port  # noqa: E402

from bench import proc  # noqa: E402
from bench.services import unlimited_service  # noqa: E402
from notify_admin_api.store import AdminStore  # noqa: E402
from notify_common.db import create_engine as create_async_engine  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.jobs import notification_id_for  # noqa: E402
from notify_common.jobs.sendfile import file_chunks  # noqa: E402
from notify_common.provision import provision_topics  # noqa: E402
from notify_common.secrets import SecretBox  # noqa: E402
from notify_common.settings import CommonSettings  # noqa: E402
from notify_job_splitter.cli import Api  # noqa: E402

# Statuses a row of the job ends in (every bench number is delivered; the others would be a fault).
FINAL = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")
BULK_TEMPLATE = "Hello ((name)), your appointment is on ((date)). Reply STOP to opt out."
SINGLE_TEMPLATE = "Your sign-in code is ((code))"
console = Console()


@dataclass
class Service:
    service_id: str
    secret: str
    template_id: str

    def token(self) -> str:
        return jwt.encode({"iss": self.service_id, "iat": int(time.time())}, self.secret, "HS256")


def write_csv(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write("phone number,name,date\n")
        for n in range(rows):
            out.write(f"074{n // 1_000_000:02d} {n % 1_000_000:06d},Person {n},{1 + n % 28} March\n")


async def make_services(settings: CommonSettings) -> tuple[Service, Service]:
    store = AdminStore(
        create_async_engine(settings, pool_size=1), SecretBox(settings.secret_key.get_secret_value())
    )
    made = []
    try:
        for name, content in (("bulk", BULK_TEMPLATE), ("single", SINGLE_TEMPLATE)):
            service_id = await unlimited_service(
                store, f"bench {name} {uuid.uuid4().hex[:6]}", email_from=f"bench.{name}"
            )
            key = await store.create_api_key(service_id, "bench", "normal")
            template_id = await store.create_template(
                service_id, name=name, template_type="sms", content=content, created_by="bench@example.com"
            )
            made.append(Service(service_id, key.combined[-36:], template_id))
    finally:
        await store.engine.dispose()
    return made[0], made[1]


def cpu_seconds(process: ServiceProcess) -> float:
    assert process.process is not None
    return proc.cpu_seconds(process.process.pid)


def peak_rss_mb(process: ServiceProcess) -> float:
    assert process.process is not None
    for line in Path(f"/proc/{process.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def profile(directory: Path | None, *processes: ServiceProcess) -> list[subprocess.Popen[bytes]]:
    """py-spy (a dev tool: ``uv pip install py-spy``) on each process until the job is delivered.
    Samples include time a process waits in its event loop; compare frames, not totals."""
    if directory is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    spies = []
    for process in processes:
        assert process.process is not None
        command = [str(ROOT / ".venv/bin/py-spy"), "record", "--pid", str(process.process.pid), "--format"]
        command += [
            "raw",
            "--rate",
            # 25 a second: at 100, seven profilers on a shared 2-core machine took as much CPU as
            # the processes they watched.
            "25",
            "--nonblocking",
            "--output",
            str(directory / f"{process.name}.txt"),
        ]
        spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class Singles:
    """Single texts sent open loop at ``rate`` a second from another service, in a thread."""

    api: str
    service: Service
    rate: float
    accepted: dict[str, datetime] = field(default_factory=dict)
    refused: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        async with httpx.AsyncClient(base_url=self.api, timeout=30) as client:
            tasks: set[asyncio.Task[None]] = set()
            start, n = time.monotonic(), 0
            while not self.stop.is_set():
                task = asyncio.create_task(self._one(client, n))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
                await asyncio.sleep(max(0.0, start + n / self.rate - time.monotonic()))
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, client: httpx.AsyncClient, n: int) -> None:
        body = {
            "phone_number": f"07500 {n % 1_000_000:06d}",
            "template_id": self.service.template_id,
            "personalisation": {"code": f"{n % 1_000_000:06d}"},
        }
        try:
            response = await client.post(
                "/v2/notifications/sms",
                json=body,
                headers={"Authorization": f"Bearer {self.service.token()}"},
            )
        except httpx.HTTPError:
            self.refused += 1
            return
        if response.status_code == 201:
            self.accepted[response.json()["id"]] = datetime.now(UTC)
        else:
            self.refused += 1


def job_row(db: Any, job_id: str) -> dict[str, Any] | None:
    with db.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT status, next_row, started_at, finished_at FROM job_splitter_jobs"
                    " WHERE job_id = :id"
                ),
                {"id": job_id},
            )
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None


def simulator_stats(url: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{url}/api/stats", timeout=30).json()
    return stats


def projected_statuses(db: Any, job_id: str) -> dict[str, int]:
    """The job's rows in the projection, by status."""
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM notifications WHERE job_id = :id GROUP BY status"),
            {"id": job_id},
        )
        return {str(status): int(count) for status, count in rows}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=int(os.environ.get("NOTIFY_BULK_ROWS", "100000")))
    parser.add_argument(
        "--single-rate", type=float, help="single texts a second during the job (20; 0 with --receipts)"
    )
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("NOTIFY_BULK_TIMEOUT", "1800")))
    parser.add_argument(
        "--receipts",
        action="store_true",
        default=os.environ.get("NOTIFY_BULK_RECEIPTS", "") not in ("", "0", "false"),
        help="receipts on, every service of the lifecycle running, timed to the last delivered status",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record a py-spy profile (collapsed stacks) of every process here",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    big = args.rows > 100_000
    if args.single_rate is None:
        args.single_rate = 0.0 if args.receipts else 20.0
    singles_on = not big and args.single_rate > 0

    run = uuid.uuid4().hex[:8]
    db_name = f"notify_bench_{run}"
    admin = create_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    database_url = env.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
    db = create_engine(database_url)
    logs = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    settings = CommonSettings(
        kafka_bootstrap_servers=env.KAFKA, kafka_topic_prefix=f"bench-{run}.", database_url=database_url
    )
    processes: dict[str, ServiceProcess] = {}
    singles: Singles | None = None
    try:
        upgrade(database_url)
        asyncio.run(provision_topics(settings))
        bulk, single = asyncio.run(make_services(settings))
        names = ["provider-simulator", "sms-sender", "job-splitter", "api-gateway"]
        if args.receipts:
            names = ["provider-simulator", "receipts", "projector", "callbacks", *names[1:]]
        ports = {name: free_port() for name in names}
        lifecycle = {"NOTIFY_RECEIPTS_URL": f"http://127.0.0.1:{ports['receipts']}"} if args.receipts else {}
        service_env = env.service_env(
            **lifecycle,
            NOTIFY_KAFKA_TOPIC_PREFIX=settings.kafka_topic_prefix,
            NOTIFY_DATABASE_URL=database_url,
            NOTIFY_SIMULATOR_URL=f"http://127.0.0.1:{ports['provider-simulator']}",
            NOTIFY_SIMULATOR_SEND_RECEIPTS="true" if args.receipts else "false",
            NOTIFY_SIMULATOR_PRINTER="false",
            NOTIFY_LOG_LEVEL="WARNING",
            NOTIFY_HTTP_WORKERS="1",
            NOTIFY_JOBS_BUCKET=f"bench-jobs-{run}",
            NOTIFY_JOBS_MAX_ROWS=str(max(args.rows, 100_000)),
            NOTIFY_JOBS_MAX_BYTES=str(max(10 * 1024 * 1024, args.rows * 64)),
        )
        for name, port in ports.items():
            processes[name] = ServiceProcess(name, port, service_env, logs)
            processes[name].start()
        for process in processes.values():
            process.wait_ready(timeout=600)
        simulator, splitter = processes["provider-simulator"].url, processes["job-splitter"]
        api_url = processes["api-gateway"].url

        csv = logs / "bulk.csv"
        write_csv(csv, args.rows)
        size = csv.stat().st_size
        load_before = os.getloadavg()
        console.print(
            f"bulk: {args.rows:,} rows ({size / 1e6:.1f} MB); single texts from another service at "
            f"{args.single_rate if singles_on else 0:g}/s; receipts {'on' if args.receipts else 'off'};"
            f" load average {load_before[0]:.2f}"
        )
        thread = None
        if singles_on:
            singles = Singles(api_url, single, args.single_rate)
            thread = threading.Thread(target=singles.run, daemon=True)
            thread.start()
            time.sleep(5)  # a baseline before the job
        cpu_before = {name: cpu_seconds(p) for name, p in processes.items()}
        client = Api(api_url, bulk.service_id, bulk.secret, httpx.Client(base_url=api_url, timeout=600))
        columns = (
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        spies = profile(args.profile, *processes.values())
        with Progress(*columns, console=console) as progress:
            uploading = progress.add_task("upload", total=size)
            started = time.monotonic()
            started_at = datetime.now(UTC)
            params = {"template_id": bulk.template_id, "file_name": csv.name}
            uploaded = client.upload(file_chunks(csv, lambda n: progress.advance(uploading, n)), size, params)
            if uploaded.job is None:
                progress.stop()
                console.print(f"[red]upload refused: {uploaded.errors[:5]}[/red]")
                return 1
            accepted = time.monotonic()
            cpu_api_upload = cpu_seconds(processes["api-gateway"]) - cpu_before["api-gateway"]
            job_id = str(uploaded.job["id"])
            splitting = progress.add_task("split", total=args.rows)
            handing = progress.add_task("handed", total=args.rows)
            projecting = progress.add_task("delivered", total=args.rows, visible=args.receipts)
            split_done = handed_at = done_at = None
            statuses: dict[str, int] = {}
            deadline = started + args.timeout
            polls = 0
            while time.monotonic() < deadline:
                job = job_row(db, job_id) or {"next_row": 0, "status": "pending"}
                count = simulator_stats(simulator)["messages"]
                extra = len(singles.accepted) if singles else 0
                progress.update(splitting, completed=job["next_row"])
                progress.update(handing, completed=min(args.rows, max(0, count - extra)))
                if split_done is None and job["status"] == "finished":
                    split_done = time.monotonic()
                    cpu_split = cpu_seconds(splitter) - cpu_before["job-splitter"]
                if handed_at is None and split_done is not None and count >= args.rows + extra:
                    handed_at = time.monotonic()
                if args.receipts and (handed_at is not None or polls % 4 == 0):
                    statuses = projected_statuses(db, job_id)
                    progress.update(projecting, completed=statuses.get("delivered", 0))
                if handed_at is not None and (
                    not args.receipts or sum(statuses.get(s, 0) for s in FINAL) >= args.rows
                ):
                    done_at = time.monotonic()
                    break
                polls += 1
                time.sleep(0.25)
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=120)
        if singles is not None and thread is not None:
            singles.stop.set()
            thread.join(timeout=60)
        if done_at is None or split_done is None or handed_at is None:
            console.print(f"[red]not done after {args.timeout:g} s: see {logs}[/red]")
            return 1
        cpu = {name: cpu_seconds(p) - cpu_before[name] for name, p in processes.items()}
        load_after = os.getloadavg()
        final = job_row(db, job_id)
        assert final is not None
        split_seconds = (final["finished_at"] - final["started_at"]).total_seconds()
        results: dict[str, Any] = {
            "rows": args.rows,
            "csv_mb": round(size / 1e6, 1),
            "upload_and_validation_s": round(accepted - started, 1),
            "split_s": round(split_seconds, 1),
            "splitter_rows_per_s": round(args.rows / split_seconds),
            "splitter_cpu_us_per_row": round(cpu_split / args.rows * 1e6),
            "api_cpu_us_per_row_at_upload": round(cpu_api_upload / args.rows * 1e6),
            "sms_sender_cpu_us_per_message": round(cpu["sms-sender"] / args.rows * 1e6),
            "simulator_cpu_us_per_message": round(cpu["provider-simulator"] / args.rows * 1e6),
            **{
                f"{name.replace('-', '_')}_cpu_us_per_row": round(cpu[name] / args.rows * 1e6)
                for name in ("receipts", "projector", "callbacks")
                if name in cpu
            },
            "splitter_peak_rss_mb": round(peak_rss_mb(splitter), 1),
            "load_average_before": round(load_before[0], 2),
            "load_average_after": round(load_after[0], 2),
        }
        if not big:
            messages = httpx.get(f"{simulator}/api/messages", timeout=300).json()["messages"]
            arrived = {m["reference"]: m for m in messages}
            ids = [notification_id_for(job_id, n) for n in range(args.rows)]
            missing = sum(1 for i in ids if i not in arrived)
            duplicates = sum(arrived[i]["duplicates"] for i in ids if i in arrived)
            last = max(datetime.fromisoformat(arrived[i]["received_at"]) for i in ids if i in arrived)
            results["end_to_end_s"] = round((last - started_at).total_seconds(), 1)
            results["rows_missing"], results["rows_duplicated"] = missing, duplicates
            if singles is not None:
                during = [
                    (datetime.fromisoformat(arrived[nid]["received_at"]) - at).total_seconds()
                    for nid, at in singles.accepted.items()
                    if nid in arrived and started_at <= at <= last
                ]
                results["singles_during_job"] = len(during)
                results["singles_lost"] = sum(1 for nid in singles.accepted if nid not in arrived)
                results["singles_refused"] = singles.refused
                if during:
                    results["singles_p50_ms"] = round(statistics.median(during) * 1000)
                    results["singles_p99_ms"] = round(percentile(during, 99) * 1000)
                    results["singles_max_ms"] = round(max(during) * 1000)
        else:
            results["end_to_end_s"] = round(handed_at - started, 1)  # polled every 0.25 s
        results["end_to_end_rows_per_s"] = round(args.rows / results["end_to_end_s"])
        if args.receipts:
            # Polled every 0.25 s once the last row is at the simulator (every second before).
            results["upload_to_last_delivered_s"] = round(done_at - started, 1)
            results["delivered_rows_per_s"] = round(args.rows / (done_at - started))
            results["projected_statuses"] = statuses
            stats = simulator_stats(simulator)
            for key in ("receipts_posted", "receipts_retried", "receipts_dropped", "receipts_in_flight"):
                results[key] = stats[key]
        for key, value in results.items():
            console.print(f"  {key}: {value}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        faults = [results.get(k, 0) for k in ("rows_missing", "rows_duplicated", "receipts_dropped")]
        undelivered = args.receipts and statuses.get("delivered", 0) != args.rows
        return 0 if not any(faults) and not undelivered else 1
    finally:
        if singles is not None:
            singles.stop.set()
        for process in processes.values():
            process.kill()
        asyncio.run(_delete_topics(settings))
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()
        (logs / "bulk.csv").unlink(missing_ok=True)
        console.print(f"logs: {logs}")


if __name__ == "__main__":
    raise SystemExit(main())
