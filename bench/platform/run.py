"""bench/platform: the whole platform as users meet it, on this machine, measured end to end.

Every service, Kafka, PostgreSQL, Redis, moto and the provider simulator run as ``make up`` runs
them (the benchmark runs ``make up``'s script first unless ``--no-up``). A service of the
benchmark's own is made through the ``notify-admin`` CLI with limits raised, then an open-loop
generator in this process sends ``POST /v2/notifications/{sms|email}`` with valid JWTs at each rate
of a series: request ``i`` is due at ``start + i / rate`` whatever happened before, and its latency
counts from when it was due. After each rate's load the benchmark waits until every accepted
notification is projected as delivered (or the drain timeout passes), then reports:

* accepted/s and the API's p50/p99/max latency, and p50/p99 of the 201 answers alone; how many
  sends were shed (503 with Retry-After: the API at capacity refusing at once) apart from those that
  failed (any other answer, or none: a connection refused or reset, or no answer within 30 s);
* created→sent and created→delivered p50/p99, read from the projection (``notifications``);
* whether the backlog drained, and how long after the load it took;
* CPU seconds per notification for every process of the platform (from ``/proc``: user + system
  of each service, Kafka, PostgreSQL with all its backends, Redis, moto), counted from the start
  of the load to the end of the drain, and the generator's own CPU apart (it is this process, not
  counted in the platform's figures; printed per notification, per request and as a share of a
  core, since it shares the machine's cores with the platform);
* how often each process's threads slept waiting per notification (voluntary context switches):
  each sleep is a wake-up later, and on this machine a wake-up that passes work between two processes
  costs tens of microseconds of CPU, so this says where batching saves the most;
* about how many requests each process sent to Kafka per notification over the same span (TCP
  segments to the broker's port, from ``ss``): the broker's CPU follows its request count;
* per notification over the same span: PostgreSQL's transactions, rows written and WAL bytes,
  Redis's commands, and the bytes added to Kafka's logs, in all and by topic (what sizes the
  stores, docs/capacity.md);
* with ``NOTIFY_LOCAL_REPLICAS`` (deploy/local/services.sh) several processes of a service: each
  counts, and the CPU line sums them per service (``sms-sender x2``) and then shows each apart;
* with ``--callbacks``: a delivery-status callback to a local HTTPS receiver (its own process, not
  counted) for the benchmark service, and how many callbacks arrived. Callback URLs must be https
  and must not point at private networks, so the platform must have been started with
  ``NOTIFY_CALLBACK_ALLOWED_NETWORKS=127.0.0.1/32`` and ``SSL_CERT_FILE`` naming the receiver's
  self-signed certificate (``.local/bench/callback-cert.pem``): the benchmark's own ``make up``
  does this, but services already running keep the environment they were started with.

Kafka's CPU is also given apart for its JIT compiler threads: a broker started minutes before still
spends much of its CPU compiling its hot code, which a long-running one does not. With
``--at-rest SECONDS`` the benchmark first measures every process's CPU with no load, in ms a second:
what a deployment that sends nothing pays for its polling, heartbeats and scrapes.

It ends by naming the highest rate at which every send was accepted (none shed, none failed),
created→sent p99 stayed under 1 s and every accepted notification was delivered.

    .venv/bin/python bench/platform/run.py [--rates 250,500,1000] [--seconds 30] [--channel sms]
        [--callbacks] [--drain-timeout 120] [--no-up] [--warmup 60] [--at-rest 30]

Only loopback is used; the run stops by itself. The platform stays up afterwards (``make down``).
The ``NOTIFY_STATE_DIR`` and ``NOTIFY_LOCAL_*`` variables of ``deploy/local/lib.sh`` are honoured,
so a platform of the benchmark's own can run beside another (docs/benchmarks.md, "Whole platform").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httptools
import jwt
import orjson
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import proc  # noqa: E402
from notify_common.annual_limits import CHANNELS  # noqa: E402
from notify_common.runtime import run_on_uvloop  # noqa: E402

# The platform's state folder, as deploy/local/lib.sh has it (NOTIFY_STATE_DIR moves it, for a
# second platform on ports of its own beside the developer's).
STATE = Path(os.environ.get("NOTIFY_STATE_DIR") or ROOT / ".local")
CALLBACK_NETWORKS = "127.0.0.1/32"
FINAL = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")


# -- the platform's processes and their CPU ---------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process, in seconds (0 when it is gone)."""
    try:
        return proc.cpu_seconds(pid)
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def platform_processes() -> dict[str, list[int]]:
    """Name → pids of everything ``make up`` runs, from its pid files; PostgreSQL counts with all
    its backends and helpers (children of the postmaster), and a process started by a script
    counts with its children."""
    processes: dict[str, list[int]] = {}
    for pid_file in sorted((STATE / "run").glob("*.pid")):
        try:
            pid = int(pid_file.read_text().split()[0])
        except (ValueError, IndexError):
            continue
        if not Path(f"/proc/{pid}").exists():
            continue
        name = pid_file.stem
        processes[name] = [pid, *_children(pid)]
    return processes


def service_of(process: str) -> str:
    """The service a pid file's name belongs to: ``sms-sender-2`` (its second process, see
    ``NOTIFY_LOCAL_REPLICAS`` in deploy/local/services.sh) and ``kafka-3`` (a broker of three)
    are ``sms-sender`` and ``kafka``."""
    return re.sub(r"-[0-9]+$", "", process)


def per_service(per_process: Mapping[str, float]) -> dict[str, float]:
    """Per-process figures summed per service, every replica counted."""
    totals: dict[str, float] = defaultdict(float)
    for process, value in per_process.items():
        totals[service_of(process)] += value
    return dict(totals)


def processes_per_service(per_process: Mapping[str, float]) -> dict[str, int]:
    return {service: int(n) for service, n in per_service(dict.fromkeys(per_process, 1)).items()}


def _live(name: str, pids: list[int]) -> list[int]:
    """The pids to count of a process: PostgreSQL's backends come and go, so the postmaster's
    children as they are now."""
    return [pids[0], *_children(pids[0])] if name == "postgres" else pids


def cpu_snapshot(processes: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(_cpu_seconds(pid) for pid in _live(name, pids)) for name, pids in processes.items()}


def jit_snapshot(processes: dict[str, list[int]]) -> float:
    """CPU seconds so far of the Kafka brokers' JIT compiler threads (``proc.jit_seconds``)."""
    total = 0.0
    for name, pids in processes.items():
        if service_of(name) == "kafka":
            for pid in pids:
                try:
                    total += proc.jit_seconds(pid)
                except (FileNotFoundError, ProcessLookupError):
                    continue
    return total


def _sleeps(pid: int) -> int:
    try:
        return proc.sleeps(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0


def sleeps_snapshot(processes: dict[str, list[int]]) -> dict[str, int]:
    """Name → how often the process's threads have slept waiting (``proc.sleeps``), PostgreSQL with
    its backends as they are now (a backend gone between two snapshots takes its count with it)."""
    return {name: sum(_sleeps(pid) for pid in _live(name, pids)) for name, pids in processes.items()}


def kafka_segments(processes: dict[str, list[int]]) -> dict[str, int]:
    """Name → TCP data segments each process has sent to the Kafka broker on its open connections
    (``ss``): a Kafka request is one segment on loopback, so the difference of two snapshots counts
    the process's produce, fetch, commit and heartbeat requests in between (about; requests written
    together may share one)."""
    port = os.environ.get("NOTIFY_LOCAL_KAFKA_PORT", "19092")
    listing = subprocess.run(
        ["ss", "-tinpH", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    owner = {pid: name for name, pids in processes.items() for pid in pids}
    counts: dict[str, int] = defaultdict(int)
    name: str | None = None
    for line in listing.splitlines():
        found = re.search(r"pid=(\d+)", line)
        if found is not None:
            name = owner.get(int(found.group(1)))
            continue
        segments = re.search(r"data_segs_out:(\d+)", line)
        if name is not None and segments is not None:
            counts[name] += int(segments.group(1))
        name = None
    return dict(counts)


def store_counters() -> dict[str, float]:
    """What the stores have done so far: PostgreSQL's committed transactions, rows written and WAL
    bytes (``pg_stat_database``, ``pg_current_wal_lsn``), Redis's commands (``INFO stats``) and the
    bytes in Kafka's log segments (every ``*.log`` under the state folder's Kafka data, one copy:
    multiply by the replication factor for a cluster). The difference of two snapshots, divided
    by the notifications, is what sizes PostgreSQL, Redis and the brokers (docs/capacity.md)."""
    counters: dict[str, float] = {}
    with psycopg.connect(database_url()) as conn:
        row = conn.execute(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted,"
            " pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')"
            " FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    if row is not None:
        counters["pg_transactions"], counters["pg_rows_written"], counters["pg_wal_bytes"] = map(float, row)
    port = os.environ.get("NOTIFY_LOCAL_REDIS_PORT", "16379")
    client = redis.Redis(host="127.0.0.1", port=int(port))
    try:
        counters["redis_commands"] = float(client.info("stats")["total_commands_processed"])
    finally:
        client.close()
    by_topic = kafka_log_bytes_by_topic(STATE / "kafka")
    counters["kafka_log_bytes"] = float(sum(by_topic.values()))
    for topic, size in by_topic.items():
        counters[f"kafka_log_bytes:{topic}"] = float(size)
    return counters


def kafka_log_bytes_by_topic(folder: Path) -> dict[str, int]:
    """Topic → bytes of its log segments (``<topic>-<partition>/*.log``) under ``folder``, every
    node's copy: what each topic adds to the brokers' disks."""
    sizes: dict[str, int] = defaultdict(int)
    for segment in folder.glob("**/*.log"):
        if segment.is_file():
            sizes[re.sub(r"-[0-9]+$", "", segment.parent.name)] += segment.stat().st_size
    return dict(sizes)


def own_cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


# -- setting up the benchmark service ---------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        parts = shlex.split(line)
        if len(parts) == 2 and parts[0] == "export" and "=" in parts[1]:
            key, value = parts[1].split("=", 1)
            values[key] = value
    return values


def admin(*args: str) -> str:
    """``notify-admin`` with the local platform's environment, as a person would run it."""
    command = f"source {shlex.quote(str(ROOT / 'deploy/local/env.sh'))} >/dev/null && " + shlex.join(
        [str(ROOT / ".venv/bin/notify-admin"), *args]
    )
    env = {**os.environ, "NOTIFY_CALLBACK_ALLOWED_NETWORKS": CALLBACK_NETWORKS}
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"notify-admin {args[0]} failed: {done.stderr.strip()[-400:]}")
    return done.stdout.strip()


@dataclass
class BenchService:
    service_id: str
    api_key: str
    template_id: str

    def token(self) -> str:
        key = self.api_key
        return jwt.encode({"iss": key[-73:-37], "iat": int(time.time())}, key[-36:], algorithm="HS256")


def make_service(channel: str) -> BenchService:
    name = f"Platform benchmark {time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
    created = admin("create-service", "--name", name, "--email-from", "platform.benchmark", "--live")
    service_id = created.split()[-1]
    admin(
        "set-limits",
        "--service-id",
        service_id,
        "--rate-limit",
        "100000000",
        "--sms-message-limit",
        "100000000",
        "--email-message-limit",
        "100000000",
    )
    # A saturated run with its warm-up sends more than a service's default annual allowance of texts
    # (100,000): past it the API answers 429 and the run measures refusals.
    annual = [x for c in CHANNELS for x in (f"--{c}-annual-limit", "1000000000")]
    admin("set-annual-limits", "--service-id", service_id, *annual)
    key = admin("create-api-key", "--service-id", service_id, "--name", "bench", "--type", "normal")
    content = "Benchmark message ((n))"
    template_args = ["--subject", "Benchmark"] if channel == "email" else []
    template_id = admin(
        "create-template",
        "--service-id",
        service_id,
        "--name",
        f"bench {channel}",
        "--type",
        channel,
        "--content",
        content,
        *template_args,
    ).split()[-1]
    return BenchService(service_id, key.split()[-1], template_id)


# -- the open-loop generator ------------------------------------------------------------------


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    # Of the sends answered 201 alone (shed answers, being immediate, would hide their wait).
    accepted_latencies: list[float] = field(default_factory=list)
    codes: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # Requests with no answer (code 0), by why: the connection refused or reset, or no answer in time.
    unanswered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    accepted: list[str] = field(default_factory=list)
    connections: int = 0
    requests: int = 0
    seconds: float = 0.0


class _Exchange(asyncio.Protocol):
    """One keep-alive connection of the generator, one request in flight on it: the answer is
    parsed by httptools as it arrives and handed to ``OpenLoop`` from the parser's callback, with no
    task, stream or future for a request."""

    def __init__(self, gen: OpenLoop) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.request: tuple[int, float, bool] | None = None  # (i, due, retried)
        self.answered = False  # any byte of the current request's answer arrived
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, i: int, due: float, retried: bool) -> None:
        assert self.transport is not None
        self.request, self.answered, self.body = (i, due, retried), False, []
        self.transport.write(self.gen.request(i))

    def data_received(self, data: bytes) -> None:
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._lost("HttpParserError")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        request, self.request = self.request, None
        if request is None:
            return
        keep = self.parser.should_keep_alive()
        self.gen.answered(request[1], self.parser.get_status_code(), b"".join(self.body))
        if keep and not self.closed:
            self.gen.idle.append(self)
        elif self.transport is not None:
            self.closed = True
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(type(exc).__name__ if exc else "IncompleteReadError")

    def _lost(self, why: str) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
        request, self.request = self.request, None
        if request is None:
            return
        i, due, retried = request
        if not self.answered and not retried:
            # A keep-alive connection the server had closed: once more on a new one (``start``
            # passes over idle connections already closed).
            self.gen.start(i, due, retried=True)
        else:
            self.gen.unanswered(due, why)


class OpenLoop:
    """Raw HTTP/1.1 over keep-alive connections, on uvloop, answers parsed by httptools in a
    protocol's callbacks: no task, stream or future for a request, so the generator is not what
    limits the run (its CPU is reported apart; it shares the machine's two cores with the
    platform)."""

    # A request with no answer after this long is counted unanswered (TimeoutError).
    answer_within = 30.0

    def __init__(self, url: str, service: BenchService, channel: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = f"/v2/notifications/{channel}"
        self.service, self.channel = service, channel
        self.idle: list[_Exchange] = []
        self.busy: dict[_Exchange, None] = {}
        self.result = LoadResult()
        self.outstanding = 0
        self._done: asyncio.Future[None] | None = None
        self._connecting: set[asyncio.Task[None]] = set()
        self._token, self._token_at = "", 0.0
        self._head = b""

    def token(self) -> str:
        now = time.time()
        if now - self._token_at > 10:  # a token is valid for 30 s either side
            self._token, self._token_at = self.service.token(), now
            self._head = (
                f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {self._token}\r\nContent-Type: application/json\r\n"
            ).encode()
        return self._token

    def body(self, i: int) -> bytes:
        # Ofcom's drama range, leaving out the smoke-test numbers (000, 111, 222: accepted, never
        # sent nor stored) and the simulator's failure numbers (002, 003).
        recipient = (
            {"phone_number": f"07700900{300 + i % 700}"}
            if self.channel == "sms"
            else {"email_address": f"bench-{i % 1000}@example.com"}
        )
        return json.dumps(
            {**recipient, "template_id": self.service.template_id, "personalisation": {"n": str(i)}}
        ).encode()

    def request(self, i: int) -> bytes:
        self.token()
        body = self.body(i)
        return b"%sContent-Length: %d\r\n\r\n%s" % (self._head, len(body), body)

    def start(self, i: int, due: float, retried: bool = False) -> None:
        """Sends request ``i`` on an idle connection, or on a new one."""
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:
                self.busy[conn] = None
                conn.send(i, due, retried)
                return
        task = asyncio.get_running_loop().create_task(self._connect(i, due, retried))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _connect(self, i: int, due: float, retried: bool) -> None:
        self.result.connections += 1
        try:
            _, conn = await asyncio.get_running_loop().create_connection(
                lambda: _Exchange(self), self.host, self.port
            )
        except OSError as exc:
            self.unanswered(due, type(exc).__name__)
            return
        self.busy[conn] = None
        conn.send(i, due, retried)

    def _finish(self) -> None:
        self.outstanding -= 1
        if self.outstanding == 0 and self._done is not None and not self._done.done():
            self._done.set_result(None)

    def answered(self, due: float, status: int, body: bytes) -> None:
        latency = time.perf_counter() - due
        self.result.latencies.append(latency)
        self.result.codes[status] += 1
        if status == 201:
            self.result.accepted.append(orjson.loads(body)["id"])
            self.result.accepted_latencies.append(latency)
        self._finish()

    def unanswered(self, due: float, why: str) -> None:
        self.result.codes[0] += 1
        self.result.unanswered[why] += 1
        self.result.latencies.append(time.perf_counter() - due)
        self._finish()

    def _expire(self) -> None:
        """Once a second: a request with no answer after ``answer_within`` is counted unanswered
        (TimeoutError) and its connection closed."""
        now = time.perf_counter()
        for conn in list(self.busy):
            if conn.closed or conn.request is None:
                del self.busy[conn]
            elif now - conn.request[1] > self.answer_within:
                due = conn.request[1]
                conn.request = None
                conn.closed = True
                del self.busy[conn]
                if conn.transport is not None:
                    conn.transport.abort()
                self.unanswered(due, "TimeoutError")

    async def run(self, rate: float, seconds: float) -> LoadResult:
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        start = time.perf_counter()
        next_sweep = start + 1
        total = int(rate * seconds)
        self.outstanding = total
        for i in range(total):
            due = start + i / rate
            now = time.perf_counter()
            if due - now > 0:
                await asyncio.sleep(due - now)
                now = time.perf_counter()
            if now >= next_sweep:
                self._expire()
                next_sweep = now + 1
            self.result.requests += 1
            self.start(i, due)
        while total and not self._done.done():
            await asyncio.wait([self._done], timeout=1)
            self._expire()
        self.result.seconds = time.perf_counter() - start
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()
        return self.result


# -- reading the projection -------------------------------------------------------------------


def database_url() -> str:
    port = os.environ.get("NOTIFY_LOCAL_PG_PORT", "15432")
    return os.environ.get("NOTIFY_BENCH_DATABASE_URL", f"postgresql://notify@127.0.0.1:{port}/notify")


def settled(ids: list[str]) -> int:
    with psycopg.connect(database_url()) as conn:
        row = conn.execute(
            "SELECT count(*) FROM notifications WHERE id = ANY(%s::uuid[]) AND status = ANY(%s)",
            (ids, list(FINAL)),
        ).fetchone()
    return int(row[0]) if row else 0


def percentiles(ids: list[str]) -> dict[str, float]:
    with psycopg.connect(database_url()) as conn:
        row = conn.execute(
            """
            WITH t AS (
                SELECT extract(epoch FROM sent_at - created_at) AS sent,
                       extract(epoch FROM completed_at - created_at) AS done, status
                FROM notifications WHERE id = ANY(%s::uuid[])
            )
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY sent),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY sent),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY done),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY done),
                   count(*) FILTER (WHERE status = 'delivered')
            FROM t
            """,
            (ids,),
        ).fetchone()
    assert row is not None
    names = ("sent_p50", "sent_p99", "delivered_p50", "delivered_p99", "delivered")
    return {n: float(v) if v is not None else float("nan") for n, v in zip(names, row, strict=True)}


# -- one rate ---------------------------------------------------------------------------------


@dataclass
class RateResult:
    rate: int
    load: LoadResult
    drained: bool
    drain_seconds: float
    times: dict[str, float]
    cpu: dict[str, float]
    generator_cpu: float
    callbacks: int | None
    kafka_requests: dict[str, int] = field(default_factory=dict)
    stores: dict[str, float] = field(default_factory=dict)
    sleeps: dict[str, int] = field(default_factory=dict)
    # Of Kafka's CPU, its JIT compiler threads' (counted in ``cpu`` too).
    kafka_jit: float = 0.0
    # proc.machine_probe_ms with the platform idle, before the load and after the drain.
    probe_ms: tuple[float, float] = (0.0, 0.0)

    @property
    def accepted(self) -> int:
        return len(self.load.accepted)

    @property
    def shed(self) -> int:
        """Sends the API refused at once for want of capacity (503 with Retry-After): not failures,
        but not accepted either."""
        return self.load.codes.get(503, 0)

    @property
    def failed(self) -> int:
        """Sends answered with anything but 201 or 503, or not answered at all."""
        return sum(n for code, n in self.load.codes.items() if code not in (201, 503))

    def cpu_ms_per_notification(self) -> float:
        return 1000 * sum(self.cpu.values()) / max(self.accepted, 1)

    def kafka_jit_ms_per_notification(self) -> float:
        return 1000 * self.kafka_jit / max(self.accepted, 1)


async def one_rate(
    api_url: str,
    service: BenchService,
    channel: str,
    rate: int,
    seconds: float,
    drain_timeout: float,
    receiver: str | None,
) -> RateResult:
    processes = platform_processes()
    probe_before = proc.machine_probe_ms()
    callbacks_before = receiver_count(receiver)
    before, generator_before = cpu_snapshot(processes), own_cpu()
    jit_before = jit_snapshot(processes)
    segments_before = kafka_segments(processes)
    sleeps_before = sleeps_snapshot(processes)
    stores_before = store_counters()
    load = await OpenLoop(api_url, service, channel).run(rate, seconds)
    generator_cpu = own_cpu() - generator_before
    print(f"    load done: {len(load.accepted)} accepted in {load.seconds:.1f} s; draining", flush=True)
    drain_start = time.perf_counter()
    drained = False
    while time.perf_counter() - drain_start < drain_timeout:
        done = settled(load.accepted)
        if done >= len(load.accepted):
            drained = True
            break
        print(f"    {done}/{len(load.accepted)} settled", flush=True)
        await asyncio.sleep(2)
    drain_seconds = time.perf_counter() - drain_start
    callbacks: int | None = None
    if receiver is not None and callbacks_before is not None:
        # Callbacks follow the delivered status: give them the same drain window.
        while time.perf_counter() - drain_start < drain_timeout:
            callbacks = (receiver_count(receiver) or 0) - callbacks_before
            if callbacks >= len(load.accepted):
                break
            await asyncio.sleep(1)
        callbacks = (receiver_count(receiver) or 0) - callbacks_before
    after = cpu_snapshot(processes)
    jit = jit_snapshot(processes) - jit_before
    segments = kafka_segments(processes)
    sleeps_after = sleeps_snapshot(processes)
    # PostgreSQL publishes a backend's statistics within a second of its transactions.
    await asyncio.sleep(1.5)
    stores_after = store_counters()
    probe = (probe_before, proc.machine_probe_ms())
    stores = {name: stores_after[name] - stores_before.get(name, 0.0) for name in stores_after}
    cpu = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in before}
    requests = {name: n - segments_before.get(name, 0) for name, n in segments.items()}
    times = percentiles(load.accepted) if load.accepted else {}
    slept = {name: max(n - sleeps_before.get(name, 0), 0) for name, n in sleeps_after.items()}
    return RateResult(
        rate, load, drained, drain_seconds, times, cpu, generator_cpu, callbacks, requests, stores, slept,
        jit, probe,
    )  # fmt: skip


def report(result: RateResult) -> None:
    lat = sorted(result.load.latencies)
    accepted_lat = sorted(result.load.accepted_latencies)

    def p(q: float, values: list[float] = lat) -> float:
        return 1000 * values[min(int(len(values) * q), len(values) - 1)] if values else float("nan")

    def t(name: str) -> float:
        return result.times.get(name, float("nan"))

    rate = result.accepted / result.load.seconds
    print(
        f"  rate {result.rate}/s: accepted {result.accepted} ({rate:.0f}/s), "
        f"answers {dict(result.load.codes)}, "
        f"API p50 {p(0.5):.1f} ms p99 {p(0.99):.1f} ms max {p(1.0):.0f} ms"
    )
    print(
        f"    shed (503) {result.shed}, failed {result.failed} "
        f"(no answer: {dict(result.load.unanswered) or 'none'}), {result.load.connections} connections; "
        f"201s alone: p50 {p(0.5, accepted_lat):.1f} ms p99 {p(0.99, accepted_lat):.1f} ms"
    )
    print(
        f"    created→sent p50 {t('sent_p50'):.2f} s p99 {t('sent_p99'):.2f} s; "
        f"created→delivered p50 {t('delivered_p50'):.2f} s p99 {t('delivered_p99'):.2f} s; "
        f"{'drained' if result.drained else 'NOT drained'} {result.drain_seconds:.0f} s after the load"
    )
    if result.callbacks is not None:
        print(f"    callbacks received: {result.callbacks} of {result.accepted}")
    per = {
        name: 1000 * seconds / max(result.accepted, 1) for name, seconds in per_service(result.cpu).items()
    }
    count = processes_per_service(result.cpu)

    def named(name: str) -> str:
        return f"{name} x{count[name]}" if count[name] > 1 else name

    parts = ", ".join(f"{named(name)} {ms:.3f}" for name, ms in sorted(per.items(), key=lambda kv: -kv[1]))
    print(f"    CPU ms per notification: total {result.cpu_ms_per_notification():.3f} ({parts})")
    if "kafka" in per:
        print(
            f"    of Kafka's {per['kafka']:.3f}, its JIT compiler threads' "
            f"{result.kafka_jit_ms_per_notification():.3f} (a broker started "
            "minutes before is still compiling; this falls away once its hot code is compiled)"
        )
    shared = sorted(
        (process, 1000 * seconds / max(result.accepted, 1))
        for process, seconds in result.cpu.items()
        if count[service_of(process)] > 1
    )
    if shared:
        print(f"    of which each replica: {', '.join(f'{name} {ms:.3f}' for name, ms in shared)}")
    if result.kafka_requests:
        sent = {
            name: n / max(result.accepted, 1)
            for name, n in per_service(result.kafka_requests).items()
            if n > 0
        }
        parts = ", ".join(f"{name} {n:.2f}" for name, n in sorted(sent.items(), key=lambda kv: -kv[1]))
        print(f"    Kafka requests per notification (about): total {sum(sent.values()):.2f} ({parts})")
    if result.sleeps:
        slept = {name: k / max(result.accepted, 1) for name, k in per_service(result.sleeps).items() if k}
        parts = ", ".join(f"{name} {k:.2f}" for name, k in sorted(slept.items(), key=lambda kv: -kv[1])[:10])
        print(
            f"    sleeps (voluntary context switches) per notification: "
            f"total {sum(slept.values()):.2f} ({parts})"
        )
    if result.stores:
        n = max(result.accepted, 1)
        stores = result.stores
        print(
            f"    per notification: PostgreSQL {stores['pg_transactions'] / n:.2f} transactions, "
            f"{stores['pg_rows_written'] / n:.2f} rows written, {stores['pg_wal_bytes'] / n:,.0f} WAL bytes; "
            f"Redis {stores['redis_commands'] / n:.2f} commands; "
            f"Kafka {stores['kafka_log_bytes'] / n:,.0f} log bytes (one copy)"
        )
        topics = sorted(
            (
                (name.split(":", 1)[1], size / n)
                for name, size in stores.items()
                if name.startswith("kafka_log_bytes:")
            ),
            key=lambda kv: -kv[1],
        )
        shown = ", ".join(f"{topic} {size:,.0f}" for topic, size in topics if size >= 1)
        print(f"    Kafka log bytes per notification by topic: {shown}")
    generator = 1000 * result.generator_cpu / max(result.accepted, 1)
    per_request = 1000 * result.generator_cpu / max(result.load.requests, 1)
    print(
        f"    generator CPU (not counted): {generator:.3f} ms/notification, {per_request:.3f} ms a request "
        f"({result.load.requests} requests, {result.generator_cpu:.1f} s: "
        f"{100 * result.generator_cpu / max(result.load.seconds, 1e-9):.0f} % of a core)"
    )
    print(
        f"    machine speed: a fixed Python workload took {result.probe_ms[0]:.0f} ms of CPU before the load"
        f" and {result.probe_ms[1]:.0f} ms after the drain (lower is faster; it misses"
        " some slowness: compare the provider simulator's CPU too)"
    )
    print(
        "RESULT "
        + json.dumps(
            {
                "rate": result.rate,
                "accepted": result.accepted,
                "accepted_per_s": round(rate),
                "shed": result.shed,
                "failed": result.failed,
                "unanswered": dict(result.load.unanswered),
                "api_p50_ms": round(p(0.5), 1),
                "api_p99_ms": round(p(0.99), 1),
                "accepted_p50_ms": round(p(0.5, accepted_lat), 1),
                "accepted_p99_ms": round(p(0.99, accepted_lat), 1),
                "sent_p99_s": round(t("sent_p99"), 3),
                "delivered_p99_s": round(t("delivered_p99"), 3),
                "drained": result.drained,
                "cpu_ms_per_notification": round(result.cpu_ms_per_notification(), 3),
                "cpu_ms_per_service": {name: round(ms, 3) for name, ms in per.items()},
                "per_notification": {
                    name: round(value / max(result.accepted, 1), 3)
                    for name, value in result.stores.items()
                    if value or not name.startswith("kafka_log_bytes:")  # topics that grew
                },
                "sleeps_per_service": {
                    name: round(k / max(result.accepted, 1), 2)
                    for name, k in per_service(result.sleeps).items()
                },
                "kafka_jit_ms_per_notification": round(result.kafka_jit_ms_per_notification(), 3),
                "callbacks": result.callbacks,
                "generator_cpu_ms_per_request": round(per_request, 3),
                "machine_probe_ms": list(result.probe_ms),
            }
        ),
        flush=True,
    )


CERT, KEY = STATE / "bench/callback-cert.pem", STATE / "bench/callback-key.pem"


def callback_certificate() -> None:
    """A self-signed certificate for 127.0.0.1, made once and kept, so a platform started with
    ``SSL_CERT_FILE`` naming it stays able to reach the receiver on later runs."""
    if CERT.exists() and KEY.exists():
        return
    CERT.parent.mkdir(parents=True, exist_ok=True)
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=127.0.0.1"
    command += " -addext subjectAltName=IP:127.0.0.1"
    subprocess.run(
        [*command.split(), "-keyout", str(KEY), "-out", str(CERT)],
        check=True,
        capture_output=True,
    )


def receiver_count(url: str | None) -> int | None:
    if url is None:
        return None
    context = ssl.create_default_context(cafile=str(CERT))
    with urllib.request.urlopen(url, timeout=5, context=context) as answer:  # noqa: S310 - loopback
        return int(answer.read())


def start_receiver() -> tuple[subprocess.Popen[bytes], str, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    callback_certificate()
    receiver = [sys.executable, str(ROOT / "bench/callbacks/receiver.py"), str(port), str(CERT), str(KEY)]
    process = subprocess.Popen(receiver)
    for _ in range(50):
        try:
            receiver_count(f"https://127.0.0.1:{port}/")
            break
        except OSError:
            time.sleep(0.1)
    return process, f"https://127.0.0.1:{port}/callback", f"https://127.0.0.1:{port}/"


def at_rest(seconds: float) -> dict[str, float]:
    """Prints (and returns) each service's CPU over ``seconds`` with no load, in ms a second."""
    print(f"==> at rest for {seconds:.0f} s", flush=True)
    processes = platform_processes()
    before, jit_before = cpu_snapshot(processes), jit_snapshot(processes)
    time.sleep(seconds)
    after, jit = cpu_snapshot(processes), jit_snapshot(processes) - jit_before
    cpu = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in before}
    per = {name: 1000 * value / seconds for name, value in per_service(cpu).items()}
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(per.items(), key=lambda kv: -kv[1]))
    print(f"    CPU ms a second at rest: total {sum(per.values()):.1f} ({parts})")
    print(f"    of Kafka's, its JIT compiler threads' {1000 * jit / seconds:.1f}")
    print("AT_REST " + json.dumps({name: round(ms, 1) for name, ms in per.items()}), flush=True)
    return per


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rates", default="250,500,1000,1500,2000", help="sends a second, comma-separated")
    parser.add_argument("--seconds", type=float, default=30, help="seconds of load at each rate")
    parser.add_argument("--channel", choices=("sms", "email"), default="sms")
    parser.add_argument(
        "--callbacks", action="store_true", help="a delivery-status callback for every notification"
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=120, help="seconds to wait for every status after each rate"
    )
    parser.add_argument(
        "--no-up", action="store_true", help="use the platform already running; do not run make up"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=0,
        help="seconds of load at the first rate before the measured ones, not reported (a Kafka "
        "just started spends much of its CPU compiling its hot code for the first minutes)",
    )
    parser.add_argument(
        "--at-rest",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first measure the platform's CPU at rest (no load) for this long: what every process "
        "costs a deployment that sends nothing, in ms of CPU a second",
    )
    args = parser.parse_args(argv)
    rates = [int(r) for r in args.rates.split(",") if r.strip()]

    if not args.no_up:
        print(f"==> make up (the whole platform; log in {STATE}/logs/bench-platform-up.log)", flush=True)
        (STATE / "logs").mkdir(parents=True, exist_ok=True)
        with (STATE / "logs/bench-platform-up.log").open("w") as log:
            callback_certificate()
            env = {
                **os.environ,
                "NOTIFY_CALLBACK_ALLOWED_NETWORKS": CALLBACK_NETWORKS,
                "SSL_CERT_FILE": str(CERT),
            }
            up = subprocess.run(["bash", str(ROOT / "deploy/local/up.sh")], stdout=log, stderr=log, env=env)
            if up.returncode:
                raise SystemExit(f"make up failed: see {STATE}/logs/bench-platform-up.log")
    demo = read_env_file(STATE / "demo.env")
    api_url = demo["NOTIFY_API_URL"]
    print(f"==> benchmark service ({args.channel}), limits raised through notify-admin", flush=True)
    service = make_service(args.channel)
    receiver_process = None
    receiver_url: str | None = None
    if args.callbacks:
        receiver_process, callback_url, receiver_url = start_receiver()
        admin(
            "set-callback",
            "--service-id",
            service.service_id,
            "--type",
            "delivery_status",
            "--url",
            callback_url,
            "--bearer-token",
            uuid.uuid4().hex,
        )
        # The callbacks service reads callback configuration from a cache refreshed every few seconds.
        time.sleep(5)
    print(f"==> processes measured: {', '.join(sorted(platform_processes()))}", flush=True)
    if args.at_rest > 0:
        at_rest(args.at_rest)
    results: list[RateResult] = []
    try:
        if args.warmup > 0:
            print(f"==> warm-up: {rates[0]}/s for {args.warmup:.0f} s (not reported)", flush=True)
            run_on_uvloop(
                one_rate(api_url, service, args.channel, rates[0], args.warmup, args.drain_timeout, None)
            )
        for rate in rates:
            print(f"==> {rate}/s for {args.seconds:.0f} s", flush=True)
            result = run_on_uvloop(
                one_rate(api_url, service, args.channel, rate, args.seconds, args.drain_timeout, receiver_url)
            )
            report(result)
            results.append(result)
    finally:
        if receiver_process is not None:
            receiver_process.terminate()
    good = [
        r.rate
        for r in results
        if r.drained and r.accepted == int(r.rate * args.seconds) and r.times.get("sent_p99", 99) < 1.0
    ]
    print(
        f"==> highest rate with every send accepted and delivered, created→sent p99 < 1 s: "
        f"{max(good) if good else 'none'}/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
