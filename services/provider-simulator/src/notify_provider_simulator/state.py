"""What the simulator keeps across a restart when given a state file (``make up`` gives it one): the
messages it was handed, its counters, and the receipts it had not delivered yet. A real provider
does not forget a message, or the receipt it owes, because the platform sending to it went down;
without this, stopping the local platform mid-send would lose those receipts and make a repeat
after the restart look like a first hand-over."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from notify_provider_simulator.outcomes import SimulatedMessage


@dataclass(frozen=True)
class OwedReceipt:
    reference: str
    url: str
    body: dict[str, str]
    as_json: bool


@dataclass
class SimulatorState:
    messages: dict[str, SimulatedMessage]
    counters: dict[str, Any]
    owed: list[OwedReceipt]


def _message_to_json(message: SimulatedMessage) -> dict[str, Any]:
    data = asdict(message)
    for key in ("received_at", "receipt_sent_at"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def _message_from_json(data: dict[str, Any]) -> SimulatedMessage:
    for key in ("received_at", "receipt_sent_at"):
        data[key] = datetime.fromisoformat(data[key]) if data[key] else None
    return SimulatedMessage(**data)


def save(path: Path, state: SimulatorState) -> None:
    """Written whole to a temporary file and renamed over the old one, readable by this user only
    (receipt URLs carry the providers' tokens)."""
    data = {
        "messages": [_message_to_json(m) for m in state.messages.values()],
        "counters": state.counters,
        "owed": [asdict(o) for o in state.owed],
    }
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    os.replace(partial, path)


def load(path: Path) -> SimulatorState | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    messages = [_message_from_json(m) for m in data["messages"]]
    return SimulatorState(
        messages={m.reference: m for m in messages},
        counters=dict(data["counters"]),
        owed=[OwedReceipt(**o) for o in data["owed"]],
    )
