"""Asking before a command changes something that cannot be undone from the command line.

``confirm`` answers True only for ``--yes`` or a "y"/"yes" typed at a terminal: with no terminal
to ask (a pipe, a container without ``-t``, CI) and no ``--yes`` it refuses, so a destructive
command never runs by accident from a script.
"""

from __future__ import annotations

import sys
from typing import TextIO


def confirm(
    question: str, *, assume_yes: bool, answers: TextIO | None = None, out: TextIO | None = None
) -> bool:
    """Print ``question`` and read the answer from ``answers`` (stdin), unless ``assume_yes``."""
    answers = sys.stdin if answers is None else answers
    out = sys.stderr if out is None else out
    if assume_yes:
        return True
    if not answers.isatty():
        print(f"{question}\nNot confirmed: no terminal to ask; run again with --yes to go ahead.", file=out)
        return False
    out.write(f"{question} [y/N] ")
    out.flush()
    reply = answers.readline().strip().lower()
    if reply in ("y", "yes"):
        return True
    print("Not confirmed; nothing was changed.", file=out)
    return False
