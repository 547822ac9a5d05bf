"""bench/platform/series.sh checks its lines before it starts anything: ``--help`` explains them,
and a line that is not CHANNEL:RATE[:cb] stops it with exit code 2 before a state folder is made."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "bench/platform/series.sh"


def series(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOTIFY_STATE_DIR": str(state)}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=30)


def test_help_names_the_form_of_a_line_and_starts_nothing(tmp_path: Path) -> None:
    done = series("--help", state=tmp_path / "state")
    assert done.returncode == 0
    assert "CHANNEL:RATE[:cb]" in done.stdout
    assert "NOTIFY_STATE_DIR" in done.stdout
    assert not (tmp_path / "state").exists()


def test_a_line_not_of_the_form_stops_it_before_anything_starts(tmp_path: Path) -> None:
    done = series("sms:1500", "sms-1000", state=tmp_path / "state")
    assert done.returncode == 2
    assert "not a line: sms-1000" in done.stderr
    assert not (tmp_path / "state").exists()


def test_no_line_at_all_is_refused_with_the_usage(tmp_path: Path) -> None:
    done = series(state=tmp_path / "state")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: bench/platform/series.sh")
    assert not (tmp_path / "state").exists()
