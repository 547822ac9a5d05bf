"""More than one process of a service on the local platform (``NOTIFY_LOCAL_REPLICAS`` in
deploy/local/services.sh), as a Deployment with more than one pod: which processes run, on which
ports, which receipts process each sms-sender names to the provider, and how the platform
benchmark adds up their CPU."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from bench.platform.run import per_service, processes_per_service, service_of

from tests.support import env

SERVICES_SH = env.ROOT / "deploy" / "local" / "services.sh"


def planned(state: Path, replicas: str, offset: int = 0) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "NOTIFY_STATE_DIR": str(state),
        "NOTIFY_LOCAL_REPLICAS": replicas,
        "NOTIFY_LOCAL_SERVICE_PORT_OFFSET": str(offset),
    }
    return subprocess.run(
        ["bash", str(SERVICES_SH), "replicas"], capture_output=True, text=True, env=environment, check=False
    )


def processes(state: Path, replicas: str, offset: int = 0) -> dict[tuple[str, int], tuple[int, str]]:
    done = planned(state, replicas, offset)
    assert done.returncode == 0, done.stderr
    found = {}
    for line in done.stdout.splitlines():
        name, k, port, receipts = line.split()
        found[(name, int(k))] = (int(port), receipts)
    return found


def test_without_replicas_every_service_runs_once_on_its_own_port(tmp_path: Path) -> None:
    found = processes(tmp_path, "")
    assert all(k == 1 for _, k in found)
    assert found[("sms-sender", 1)] == (6021, "http://127.0.0.1:6012")
    assert found[("receipts", 1)][0] == 6012
    assert len(found) == len({port for port, _ in found.values()})


def test_replicas_run_beside_the_first_process_and_each_sender_names_a_receipts_process(
    tmp_path: Path,
) -> None:
    found = processes(tmp_path, "sms-sender=3,projector=2,receipts=2", offset=600)
    assert {k for name, k in found if name == "sms-sender"} == {1, 2, 3}
    assert {k for name, k in found if name == "projector"} == {1, 2}
    assert {k for name, k in found if name == "api-gateway"} == {1}
    assert found[("projector", 2)][0] == 6624 + 50
    assert found[("receipts", 2)][0] == 6612 + 50
    # The senders' receipts are spread over the receipts processes, round the circle.
    assert [found[("sms-sender", k)][1] for k in (1, 2, 3)] == [
        "http://127.0.0.1:6612",
        "http://127.0.0.1:6662",
        "http://127.0.0.1:6612",
    ]
    assert len(found) == len({port for port, _ in found.values()})


@pytest.mark.parametrize(
    ("replicas", "complaint"),
    [
        ("sms-sender=two", "'sms-sender=two' is not NAME=COUNT"),
        ("sms-sender", "'sms-sender' is not NAME=COUNT"),
        ("sms-sender=0", "'sms-sender=0' is not NAME=COUNT"),
        ("sms-senders=2", "no service named 'sms-senders'"),
    ],
)
def test_a_setting_that_names_no_service_or_no_count_stops_with_what_is_wrong(
    tmp_path: Path, replicas: str, complaint: str
) -> None:
    done = planned(tmp_path, replicas)
    assert done.returncode != 0
    assert f"NOTIFY_LOCAL_REPLICAS: {complaint}" in done.stderr
    assert done.stdout == ""


def test_the_benchmark_counts_every_process_of_a_service_as_that_service() -> None:
    assert service_of("sms-sender-2") == "sms-sender"
    assert service_of("kafka-3") == "kafka"
    assert service_of("provider-simulator") == "provider-simulator"
    cpu = {"sms-sender": 1.5, "sms-sender-2": 2.0, "projector": 1.0, "kafka": 3.0}
    assert per_service(cpu) == {"sms-sender": 3.5, "projector": 1.0, "kafka": 3.0}
    assert processes_per_service(cpu) == {"sms-sender": 2, "projector": 1, "kafka": 1}
