"""``make test`` (deploy/local/test.sh) runs its three pytest runs (the end-to-end tests beside the
others, then the fault cases) and fails when any of them fails or collects nothing; with arguments it
runs one pytest with them and exits with its code. Checked on a copy of the script whose pytest,
linters, installer and backing services are stand-ins, so no suite runs twice."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.env import ROOT

# Stands in for .venv/bin/pytest: notes its arguments, then exits with the code the test chose for
# its run (the end-to-end tests, the fault cases, or the rest).
FAKE_PYTEST = """#!/usr/bin/env bash
case "$*" in
  *--ignore=tests/e2e*) run=rest ;;
  *tests/e2e*) run=e2e ;;
  *tests/faults*) run=faults ;;
  *) run=args ;;
esac
echo "$run: $*" >> "$FAKE_CALLS"
code="$FAKE_DIR/$run.code"
if [[ -f "$code" ]]; then exit "$(cat "$code")"; fi
exit 0
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "deploy/local/kafka").mkdir(parents=True)
    for name in ("test.sh", "lib.sh"):
        shutil.copy(ROOT / "deploy/local" / name, root / "deploy/local" / name)
    shutil.copy(ROOT / "deploy/local/kafka/pom.xml", root / "deploy/local/kafka/pom.xml")
    (root / "deploy/local/install.sh").write_text("#!/usr/bin/env bash\nexit 0\n")
    # Every backing service already running: the script starts and stops none.
    (root / "deploy/local/infra.sh").write_text(
        '#!/usr/bin/env bash\n[[ "$1" == running ]] && printf "%s\\n" kafka postgres redis moto\nexit 0\n'
    )
    venv = root / ".venv/bin"
    venv.mkdir(parents=True)
    (venv / "pytest").write_text(FAKE_PYTEST)
    for tool in ("ruff", "mypy"):
        (venv / tool).write_text("#!/usr/bin/env bash\nexit 0\n")
    for script in [*(root / "deploy/local").glob("*.sh"), *venv.iterdir()]:
        script.chmod(0o755)
    return root


def make_test(root: Path, *args: str, codes: dict[str, int] | None = None) -> tuple[int, list[str]]:
    for run, code in (codes or {}).items():
        (root / f"{run}.code").write_text(str(code))
    calls = root / "calls"
    env = {
        **os.environ,
        "NOTIFY_STATE_DIR": str(root / ".local"),
        "FAKE_DIR": str(root),
        "FAKE_CALLS": str(calls),
    }
    done = subprocess.run(
        ["bash", str(root / "deploy/local/test.sh"), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_make_test_runs_the_end_to_end_tests_beside_the_others_then_the_fault_cases(checkout: Path) -> None:
    code, calls = make_test(checkout)
    assert code == 0
    assert sorted(call.split(":")[0] for call in calls) == ["e2e", "faults", "rest"]
    assert calls[-1].startswith("faults:")
    rest = next(call for call in calls if call.startswith("rest:"))
    assert "--ignore=tests/e2e" in rest
    assert "--ignore=tests/faults" in rest
    faults = next(call for call in calls if call.startswith("faults:"))
    for deselected in ("test_make_down_up.py", "test_service_kills.py", "test_replica_kills.py"):
        assert f"--deselect tests/faults/{deselected}" in faults


@pytest.mark.parametrize("run", ["rest", "e2e", "faults"])
@pytest.mark.parametrize("pytest_code", [1, 5], ids=["a test failed", "nothing collected"])
def test_make_test_fails_when_any_run_fails_or_collects_nothing(
    checkout: Path, run: str, pytest_code: int
) -> None:
    code, calls = make_test(checkout, codes={run: pytest_code})
    assert code != 0
    assert len(calls) == 3, "the other runs still run, so one make test reports every failure"


def test_with_arguments_make_test_runs_one_pytest_and_exits_with_its_code(checkout: Path) -> None:
    code, calls = make_test(checkout, "tests/unit", "-x", codes={"args": 5})
    assert code == 5
    assert calls == ["args: tests/unit -x"]
