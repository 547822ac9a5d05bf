"""The admin CLI's commands that cannot be undone from the command line ask first: with no terminal
to ask and no --yes they change nothing and exit 2; with --yes they act."""

from __future__ import annotations

import io
from typing import Any

import pytest

from notify_admin_api import cli as admin_cli

COMMANDS = [
    ["revoke-api-key", "--service-id", "s-1", "--key-id", "k-1"],
    ["archive-template", "--service-id", "s-1", "--template-id", "t-1"],
    ["revoke-alpha-token", "--service-id", "s-1", "--token-id", "a-1"],
]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []

    async def run_admin(settings: Any, call: Any) -> None:
        made.append(call)

    monkeypatch.setattr(admin_cli, "run_admin", run_admin)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a terminal: nobody to ask
    return made


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_without_yes_and_without_a_terminal_nothing_is_changed(
    argv: list[str], calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin_cli.main(argv) == 2
    assert calls == []
    assert "--yes" in capsys.readouterr().err


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_with_yes_the_command_acts(argv: list[str], calls: list[Any]) -> None:
    assert admin_cli.main([*argv, "--yes"]) == 0
    assert len(calls) == 1


def test_the_question_names_what_is_changed(calls: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    admin_cli.main(COMMANDS[0])
    err = capsys.readouterr().err
    assert "k-1" in err
    assert "s-1" in err
