"""Which SMS provider gets the next message: a weighted random choice whose weights shift away from
a provider that fails or delivers slowly and drift back to their resting points.
Pure: time is passed in, and every change comes back as a :class:`WeightChange` for the caller to
record. The rules, as in Notify:

* errors: more than ``error_threshold`` failed calls to one provider within ``error_window_s``
  moves ``step`` points from it to the others, at most once per ``error_cooldown_s``;
* slow receipts: when at least ``slow_ratio`` of one provider's recent messages took longer than
  the slow threshold to be delivered (and not every provider is slow), it loses ``step`` points,
  unless anything changed in the last ``slow_cooldown_s``;
* recovery: after ``recovery_after_s`` without a change, weights move ``step`` points back toward
  the resting points;
* a provider that throttled us is skipped for a moment (``cool_down``) while others can take its
  traffic.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

ERRORS = "errors"
SLOW_RECEIPTS = "slow-receipts"
RECOVERY = "recovery"
MANUAL = "manual"


@dataclass(frozen=True)
class WeightChange:
    before: dict[str, int]
    after: dict[str, int]
    reason: str
    detail: str


@dataclass(frozen=True)
class BalancingRules:
    step: int = 10
    error_threshold: int = 50
    error_window_s: float = 60.0
    error_cooldown_s: float = 60.0
    slow_ratio: float = 0.15
    slow_cooldown_s: float = 300.0
    recovery_after_s: float = 900.0


def parse_weights(text: str) -> dict[str, int]:
    """``"mmg:51,firetext:49"`` → ``{"mmg": 51, "firetext": 49}``."""
    weights: dict[str, int] = {}
    for part in text.split(","):
        if part.strip():
            name, _, value = part.partition(":")
            weights[name.strip()] = int(value or "0")
    if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError(f"provider weights must be non-negative and not all zero: {text!r}")
    return weights


def shift_away(weights: Mapping[str, int], provider: str, step: int) -> dict[str, int]:
    """Take up to ``step`` points from ``provider`` and share them among the others."""
    others = [p for p in weights if p != provider]
    taken = min(step, weights[provider]) if others else 0
    after = dict(weights)
    after[provider] -= taken
    for i, other in enumerate(sorted(others)):
        after[other] += taken // len(others) + (1 if i < taken % len(others) else 0)
    return after


def toward(current: Mapping[str, int], resting: Mapping[str, int], step: int) -> dict[str, int]:
    """Move every weight toward its resting point, the widest gap by at most ``step``, keeping the
    total unchanged; within ``step`` of rest, go to rest."""
    gaps = {p: resting.get(p, 0) - current[p] for p in current}
    widest = max(gaps, key=lambda p: abs(gaps[p]))
    if abs(gaps[widest]) <= step:
        return {p: resting.get(p, 0) for p in current}
    moves = {p: int(g * step / abs(gaps[widest])) for p, g in gaps.items()}
    moves[widest] -= sum(moves.values())
    return {p: current[p] + moves[p] for p in current}


@dataclass
class ProviderBalancer:
    resting: dict[str, int]
    rules: BalancingRules = field(default_factory=BalancingRules)
    current: dict[str, int] = field(default_factory=dict)
    last_change_at: float | None = None
    _errors: dict[str, deque[float]] = field(default_factory=dict)
    _cooling_until: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.current:
            self.current = dict(self.resting)

    @property
    def providers(self) -> list[str]:
        return list(self.current)

    def choose(self, rng: random.Random, now: float) -> str:
        usable = {p: w for p, w in self.current.items() if w > 0 and self._cooling_until.get(p, 0) <= now}
        if not usable:  # everything cooling: fall back to the weights alone
            usable = {p: w for p, w in self.current.items() if w > 0} or dict.fromkeys(self.current, 1)
        names = list(usable)
        return rng.choices(names, weights=[usable[n] for n in names])[0]

    def cool_down(self, provider: str, until: float) -> None:
        self._cooling_until[provider] = max(until, self._cooling_until.get(provider, 0))

    def adopt(self, weights: Mapping[str, int], changed_at: float | None) -> None:
        """Take weights decided elsewhere (another instance, or an operator)."""
        self.current = {p: int(weights.get(p, 0)) for p in self.resting}
        if changed_at is not None:
            self.last_change_at = changed_at

    def record_error(self, provider: str, now: float) -> WeightChange | None:
        window = self._errors.setdefault(provider, deque())
        window.append(now)
        while window and window[0] < now - self.rules.error_window_s:
            window.popleft()
        if len(window) <= self.rules.error_threshold or len(self.current) < 2:
            return None
        if self._changed_within(now, self.rules.error_cooldown_s) or self.current[provider] == 0:
            return None
        window.clear()
        rules = self.rules
        detail = f"more than {rules.error_threshold} errors from {provider} in {rules.error_window_s:.0f}s"
        return self._apply(shift_away(self.current, provider, self.rules.step), ERRORS, detail, now)

    def record_slow_ratios(self, ratios: Mapping[str, float], now: float) -> WeightChange | None:
        """``ratios``: per provider, the share of its recent messages whose receipt was slow."""
        slow = [p for p, r in ratios.items() if r >= self.rules.slow_ratio and p in self.current]
        if (
            not slow
            or len(slow) == len(self.current)
            or self._changed_within(now, self.rules.slow_cooldown_s)
        ):
            return None
        provider = max(slow, key=lambda p: ratios[p])
        if self.current[provider] == 0:
            return None
        detail = f"{ratios[provider]:.0%} of {provider}'s recent messages were slow to be delivered"
        return self._apply(shift_away(self.current, provider, self.rules.step), SLOW_RECEIPTS, detail, now)

    def tend_to_rest(self, now: float) -> WeightChange | None:
        if self.current == self.resting or self._changed_within(now, self.rules.recovery_after_s):
            return None
        after = toward(self.current, self.resting, self.rules.step)
        return self._apply(after, RECOVERY, "no change for a while: back toward resting weights", now)

    def _changed_within(self, now: float, seconds: float) -> bool:
        return self.last_change_at is not None and now - self.last_change_at < seconds

    def _apply(self, after: dict[str, int], reason: str, detail: str, now: float) -> WeightChange | None:
        if after == self.current:
            return None
        change = WeightChange(before=dict(self.current), after=after, reason=reason, detail=detail)
        self.current, self.last_change_at = after, now
        return change
