"""``notify-projector rebuild`` swaps the live views: ``--help`` only prints help, and the rebuild
starts only once confirmed at a terminal or with ``--yes``."""

from __future__ import annotations

import io

import pytest

import notify_projector.__main__ as command
import notify_projector.rebuild
from notify_common.settings import CommonSettings


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the command started: the rebuild, or the consumer."""
    calls: list[str] = []

    def rebuild(settings: CommonSettings) -> int:
        calls.append("rebuild")
        return 0

    def consumer(*args: object) -> int:
        calls.append("consumer")
        return 0

    monkeypatch.setattr(notify_projector.rebuild, "main", rebuild)
    monkeypatch.setattr(command, "run_consumer", consumer)
    return calls


@pytest.mark.parametrize("argv", [["rebuild", "--help"], ["rebuild", "-h"], ["--help"]])
def test_help_prints_the_usage_and_starts_nothing(
    argv: list[str], started: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        command.main(argv)
    assert exited.value.code == 0
    assert "usage: notify-projector" in capsys.readouterr().out
    assert started == []


def test_rebuild_help_says_what_it_replaces_and_how_to_skip_the_question(
    started: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        command.main(["rebuild", "--help"])
    out = capsys.readouterr().out
    assert "swap" in out
    assert "--yes" in out


def test_an_unknown_argument_is_refused_and_starts_nothing(
    started: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        command.main(["rebuild", "--force"])
    assert exited.value.code == 2
    assert started == []


@pytest.mark.parametrize("answer", ["n\n", "\n", "no\n", "whatever\n"])
def test_a_rebuild_not_confirmed_at_the_terminal_does_not_start(
    answer: str, started: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    assert command.main(["rebuild"]) == 1
    assert started == []
    assert "Replace the live views of database" in capsys.readouterr().err


@pytest.mark.parametrize("answer", ["y\n", "yes\n", "Y\n"])
def test_a_rebuild_confirmed_at_the_terminal_starts(
    answer: str, started: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    assert command.main(["rebuild"]) == 0
    assert started == ["rebuild"]


def test_without_a_terminal_the_rebuild_needs_yes(
    started: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # a pipe: nobody there to ask
    assert command.main(["rebuild"]) == 1
    assert started == []
    assert "--yes" in capsys.readouterr().err

    assert command.main(["rebuild", "--yes"]) == 0
    assert started == ["rebuild"]


def test_with_no_command_the_projector_consumes(started: list[str]) -> None:
    assert command.main([]) == 0
    assert started == ["consumer"]
