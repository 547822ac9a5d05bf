"""Limits counted in Redis on the hot path, never by counting notifications.

* **Rate limit**: a token bucket per service and key type, refilled at ``rate_limit / 60`` tokens a
  second up to ``min(ceil(rate_limit / 3) + 1, 1000)`` (3,000 a minute with a burst of 1,000 by
  default). One atomic Lua script, timed by the Redis server's clock so every API replica agrees.
* **Daily limits**: a counter per service, channel and UTC day (international SMS also counts on
  its own counter), checked and incremented atomically for all the counters a send touches; test
  keys count on counters of their own. A send that is refused after counting gives its count back.
* **Annual limits** (``notify_common.annual_limits``): a counter per service and channel for the
  financial year, checked and counted with the daily ones, all or none (test keys send nothing and
  count on none). A send that takes a count past 80 % or 90 % of its limit leaves one warning per
  threshold and year on ``WARNINGS_KEY`` for the admin-api to tell the team.
* ``admit`` does both, and stores the send's read-your-writes row, in one script; with
  ``coalesce``, one script call decides every send a service made in a turn of the event loop.

Keys carry the service id as a hash tag (``{...}``), so a service's keys live in one cluster slot.
If Redis cannot be reached (or does not answer within the client's deadline), the process keeps the
limits itself (``local_limits``: the same bucket, and the daily counts from the last Redis told
it) and asks Redis again after ``OUTAGE_RETRY_SECONDS``; what it counted meanwhile is added to
Redis's counters once Redis answers.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from notify_common.annual_limits import (
    WARNING_PERCENTAGES,
    WARNINGS_KEY,
    YEAR_TTL_MARGIN_SECONDS,
    financial_year,
    seconds_until_year_end,
    threshold,
)
from notify_common.annual_warnings import AnnualWarnings, Reached, reached
from notify_common.local_limits import LocalLimits

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400
MAX_BURST = 1000
# After Redis failed, how long the limits are kept locally before Redis is asked again.
OUTAGE_RETRY_SECONDS = 1.0
# The most sends one coalesced admission takes to Redis (one script run: Redis serves nothing else
# while it runs); a batch this size leaves without waiting out the window.
ADMIT_BATCH_MAX = 256

# The token bucket, as Lua shared by the scripts below: takes a token from KEYS[1] if it can, leaving
# ``allowed`` (1 or 0) and ``wait`` (seconds until a token is due) set.
_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
"""

_BUCKET_SCRIPT = _BUCKET_LUA + "return {allowed, tostring(wait)}\n"

# ARGV: (n, limit, ttl) per counter. Returns {refused counter (1-based) or 0, the counts after}.
_DAILY_SCRIPT = """
for i, key in ipairs(KEYS) do
  local current = tonumber(redis.call('GET', key) or '0')
  if current + tonumber(ARGV[3 * i - 2]) > tonumber(ARGV[3 * i - 1]) then
    return {i}
  end
end
local result = {0}
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[3 * i - 2])
  local now = redis.call('INCRBY', key, n)
  if now == n then
    redis.call('EXPIRE', key, tonumber(ARGV[3 * i]))
  end
  result[1 + i] = now
end
return result
"""

# Admissions in one round trip: every send of a batch (all of one service, so every key shares the
# service's cluster slot), each decided in turn exactly as if it were alone: the token from its
# bucket, then its daily and annual counters (all or none: if one would go past its limit, none is
# counted and the send is refused), then its read-your-writes values stored with a TTL; each step
# only if the one before allowed the send. The server's clock is read once for the batch, each
# bucket read once and written once at the end; a counter is counted in Redis when the batch first
# touches it (so Redis is not asked to read it first) and is known in the script after that, the
# later sends' counts added to it once at the end. A send refused after its counter's first touch
# puts back what it counted, removing a counter it created, so a refusal leaves every counter as it
# found it. KEYS: every key the batch names, once each. ARGV: the number of sends, then per send:
# its bucket (index into KEYS), rate, capacity, the number of counters nd, (key index, n, limit,
# ttl) per counter, the store TTL, the number of values to store ns, (key index, value) per value.
# Returns per send {allowed, wait, refused counter (1-based), the counts after (one per counter)}.
_ADMIT_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local buckets, bucket_order = {}, {}
local counts = {}
local added, added_ttl, added_order = {}, {}, {}
local results = {}
local p = 2
for s = 1, tonumber(ARGV[1]) do
  local b, rate, capacity = tonumber(ARGV[p]), tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
  local nd = tonumber(ARGV[p + 3])
  p = p + 4
  local bucket = buckets[b]
  if bucket == nil then
    local state = redis.call('HMGET', KEYS[b], 'tokens', 'ts')
    bucket = {tonumber(state[1]), tonumber(state[2]), 0}
    if bucket[1] == nil or bucket[2] == nil then
      bucket[1], bucket[2] = capacity, now
    end
    buckets[b] = bucket
    bucket_order[#bucket_order + 1] = b
  end
  local tokens = math.min(capacity, bucket[1] + math.max(0, now - bucket[2]) * rate)
  local allowed, wait = 0, 0
  if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
  else
    wait = (1 - tokens) / rate
  end
  bucket[1], bucket[2], bucket[3] = tokens, now, math.ceil(capacity / rate) + 60
  if allowed == 0 then
    results[s] = {0, tostring(wait), 0}
    p = p + 4 * nd
    p = p + 2 + 2 * tonumber(ARGV[p + 1])
  else
    local refused = 0
    local taken = {}
    for i = 1, nd do
      if refused == 0 then
        local c, n, limit = tonumber(ARGV[p]), tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
        local first = counts[c] == nil
        local after
        if first then
          after = redis.call('INCRBY', KEYS[c], n)
          if after == n then
            redis.call('EXPIRE', KEYS[c], tonumber(ARGV[p + 3]))
          end
        else
          after = counts[c] + n
          if added[c] == nil then
            added[c] = 0
            added_order[#added_order + 1] = c
          end
          added[c] = added[c] + n
          added_ttl[c] = tonumber(ARGV[p + 3])
        end
        counts[c] = after
        taken[i] = {c, n, first}
        if after > limit then
          refused = i
        end
      end
      p = p + 4
    end
    if refused == 0 then
      local result = {1, '0', 0}
      for i = 1, nd do
        result[3 + i] = counts[taken[i][1]]
      end
      results[s] = result
    else
      for i = refused, 1, -1 do
        local c, n = taken[i][1], taken[i][2]
        counts[c] = counts[c] - n
        if taken[i][3] then
          if redis.call('DECRBY', KEYS[c], n) == 0 then
            redis.call('DEL', KEYS[c])
          end
        else
          added[c] = added[c] - n
        end
      end
      results[s] = {1, '0', refused}
    end
    local store_ttl, ns = tonumber(ARGV[p]), tonumber(ARGV[p + 1])
    p = p + 2
    if refused == 0 then
      for i = 0, ns - 1 do
        redis.call('SET', KEYS[tonumber(ARGV[p + 2 * i])], ARGV[p + 2 * i + 1], 'EX', store_ttl)
      end
    end
    p = p + 2 * ns
  end
end
for _, c in ipairs(added_order) do
  local n = added[c]
  if n > 0 and redis.call('INCRBY', KEYS[c], n) == n then
    redis.call('EXPIRE', KEYS[c], added_ttl[c])
  end
end
for _, b in ipairs(bucket_order) do
  local bucket = buckets[b]
  redis.call('HSET', KEYS[b], 'tokens', tostring(bucket[1]), 'ts', tostring(bucket[2]))
  redis.call('EXPIRE', KEYS[b], bucket[3])
end
return results
"""

# Adds counts to counters (KEYS), ARGV: (count, ttl) per key.
_ADD_SCRIPT = """
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[2 * i - 1])
  if redis.call('INCRBY', key, n) == n then
    redis.call('EXPIRE', key, tonumber(ARGV[2 * i]))
  end
end
return 0
"""


@functools.lru_cache(maxsize=4096)
def bucket_capacity(rate_limit: int) -> int:
    return min(math.ceil(rate_limit / 3) + 1, MAX_BURST)


@functools.lru_cache(maxsize=4096)
def _thresholds(limit: int) -> tuple[int, ...]:
    return tuple(threshold(limit, p) for p in WARNING_PERCENTAGES)


@dataclass
class _Script:
    """A Lua script and the SHA1 Redis knows it by (EVALSHA; loaded again if Redis lost it)."""

    text: str
    sha: str = ""

    def __post_init__(self) -> None:
        self.sha = hashlib.sha1(self.text.encode()).hexdigest()  # noqa: S324 - Redis's script id


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0


@dataclass(frozen=True)
class DailyLimit:
    """One counter a send touches: ``name`` is Notify's limit name (sms, email, letter,
    international_sms). With ``year``, the counter is the channel's for that financial year
    (an annual limit) instead of today's."""

    name: str
    limit: int
    year: int | None = None

    @property
    def annual(self) -> bool:
        return self.year is not None

    def retry_after(self) -> int:
        """Seconds until this counter starts again from zero."""
        return seconds_until_year_end() if self.annual else seconds_until_utc_midnight()


def annual_limit(channel: str, limit: int, moment: datetime | None = None) -> DailyLimit:
    """The counter of ``channel``'s annual limit for the financial year of ``moment`` (now)."""
    return DailyLimit(channel, limit, financial_year(moment))


_day_second = -1
_day = ""


def utc_day() -> str:
    """Today's UTC date (``YYYY-MM-DD``), the daily counters' day, worked out once a second (a day
    ends on a whole second): each send counts on today's counters."""
    global _day_second, _day
    second = int(time.time())
    if second != _day_second:
        _day, _day_second = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d"), second
    return _day


def _ttl(key: str) -> int:
    return seconds_until_year_end() + YEAR_TTL_MARGIN_SECONDS if key.startswith("annual:") else DAY_SECONDS


@dataclass(frozen=True)
class DailyDecision:
    allowed: bool
    exceeded: DailyLimit | None = None
    retry_after_seconds: int = 0


def seconds_until_utc_midnight(now: datetime | None = None) -> int:
    moment = now or datetime.now(UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((midnight - moment).total_seconds()))


@dataclass(frozen=True)
class Admission:
    """The outcome of ``Limiter.admit``: the rate limit first, then (if it allowed) the daily limits."""

    rate: RateDecision
    daily: DailyDecision

    @property
    def allowed(self) -> bool:
        return self.rate.allowed and self.daily.allowed


class _Send(NamedTuple):
    """One send's admission, as ``_ADMIT_SCRIPT`` takes it: its bucket, rate (tokens a second) and
    capacity, its counters (key, n, limit, TTL), and the values stored for ``store_seconds``."""

    service_id: str
    bucket: str
    rate: float
    capacity: int
    counters: list[tuple[str, int, int, int]]
    store_seconds: int
    store: Sequence[tuple[str, bytes]]


def _pack(sends: Sequence[_Send]) -> tuple[list[str], list[float | int | bytes]]:
    """``_ADMIT_SCRIPT``'s keys and arguments for ``sends``, each key named once (a batch's sends
    share their bucket and counters: each names them by index, which keeps the command short)."""
    keys: list[str] = []
    index: dict[str, int] = {}
    args: list[float | int | bytes] = [len(sends)]
    for send in sends:
        at = index.get(send.bucket)
        if at is None:
            keys.append(send.bucket)
            at = index[send.bucket] = len(keys)
        args += (at, send.rate, send.capacity, len(send.counters))
        for key, n, limit, ttl in send.counters:
            at = index.get(key)
            if at is None:
                keys.append(key)
                at = index[key] = len(keys)
            args += (at, n, limit, ttl)
        args += (send.store_seconds, len(send.store))
        for key, value in send.store:
            keys.append(key)  # a stored key is the send's own
            args += (len(keys), value)
    return keys, args


class Limiter:
    def __init__(
        self,
        redis: Redis[bytes],
        *,
        coalesce: bool = False,
        window: float = 0.0,
        warnings_key: str = WARNINGS_KEY,
    ) -> None:
        """With ``coalesce``, the ``admit`` calls made by concurrent requests in the same turn of the
        event loop travel to Redis together: one script call for each service's sends (decided in
        turn, each as if alone), as a plain command when the turn holds one service and as one
        pipeline when several: one round trip, one connection checkout and one deadline for many
        sends. With a ``window`` (seconds) as well, the first admission waits that long for others
        to join it, and a batch that reaches ``ADMIT_BATCH_MAX`` sends leaves at once: at a thousand
        sends a second requests seldom share a turn of the loop, and every round trip wakes Redis
        and this process once each. Annual limit warnings are left on the list ``warnings_key``."""
        self._redis = redis
        self._warnings = AnnualWarnings(redis, warnings_key)
        self._bucket = redis.register_script(_BUCKET_SCRIPT)
        self._daily = redis.register_script(_DAILY_SCRIPT)
        self._admit_script = _Script(_ADMIT_SCRIPT)
        self._untyped: Any = redis  # redis-py's execute_command and script_load carry no types
        self._add = redis.register_script(_ADD_SCRIPT)
        self._coalesce = coalesce
        self._window = window
        self._pending: list[tuple[_Send, asyncio.Future[Any]]] = []
        self._flush_timer: asyncio.Handle | None = None
        self._flushes: set[asyncio.Task[None]] = set()
        self._local = LocalLimits()
        self._redis_down_until = 0.0

    def _lost_redis(self, exc: RedisError, what: str) -> None:
        log.warning(
            "limits kept locally: redis unavailable", extra={"error": type(exc).__name__, "what": what}
        )
        self._redis_down_until = time.monotonic() + OUTAGE_RETRY_SECONDS

    async def _redis_up(self) -> bool:
        """Whether to ask Redis (not within ``OUTAGE_RETRY_SECONDS`` of a failure). First, what was
        counted locally while Redis was away is added to its counters, so the next decision
        counts it."""
        if time.monotonic() < self._redis_down_until:
            return False
        if not self._local.has_pending():
            return True
        pending = self._local.take_pending()
        args: list[int] = []
        for key, n in pending.items():
            args += [n, _ttl(key)]
        try:
            await self._add(keys=list(pending), args=args)
        except RedisError as exc:
            self._local.put_back(pending)
            self._lost_redis(exc, "daily counts")
            return False
        return True

    def _local_token(self, service_id: str, key_type: str, rate_limit: int) -> RateDecision:
        wait = self._local.take_token(
            self.bucket_key(service_id, key_type),
            rate_limit / 60,
            bucket_capacity(rate_limit),
            time.monotonic(),
        )
        return RateDecision(True) if wait == 0 else RateDecision(False, max(1, math.ceil(wait)))

    def _local_daily(self, keys: list[str], counts: list[tuple[DailyLimit, int]]) -> DailyDecision:
        refused = self._local.count([(k, n, lim.limit) for k, (lim, n) in zip(keys, counts, strict=True)])
        if refused == 0:
            return DailyDecision(True)
        exceeded = counts[refused - 1][0]
        return DailyDecision(False, exceeded, exceeded.retry_after())

    @staticmethod
    def bucket_key(service_id: str, key_type: str) -> str:
        return f"rate:{{{service_id}}}:tokens:{key_type}"

    @staticmethod
    def daily_key(service_id: str, name: str, key_type: str, day: str) -> str:
        lane = "test:" if key_type == "test" else ""
        return f"daily:{{{service_id}}}:{lane}{name}:{day}"

    @staticmethod
    def annual_key(service_id: str, name: str, year: int) -> str:
        return f"annual:{{{service_id}}}:{name}:{year}"

    def counter_key(self, service_id: str, limit: DailyLimit, key_type: str, day: str) -> str:
        if limit.year is not None:
            return self.annual_key(service_id, limit.name, limit.year)
        return self.daily_key(service_id, limit.name, key_type, day)

    def _warn(self, service_id: str, counts: list[tuple[DailyLimit, int]], after: Sequence[Any]) -> None:
        """Leave a warning for each annual threshold these counts reached (rare: at most twice a
        year per channel), without delaying the send."""
        warnings: list[Reached] = []
        for (lim, n), now in zip(counts, after, strict=False):
            if lim.year is not None:
                # Every send asks: compared with the limit's thresholds, worked out once per limit.
                count = int(now)
                if any(count - n < at <= count for at in _thresholds(lim.limit)):
                    warnings += reached(lim.name, lim.year, lim.limit, n, count)
        if warnings:
            task = asyncio.ensure_future(self._warnings.leave(service_id, warnings))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def settled(self) -> None:
        """Wait for the warnings being left (and the coalesced admissions in flight)."""
        while self._flushes:
            await asyncio.gather(*list(self._flushes), return_exceptions=True)

    async def take_token(self, service_id: str, key_type: str, rate_limit: int) -> RateDecision:
        rate = rate_limit / 60
        if not await self._redis_up():
            return self._local_token(service_id, key_type, rate_limit)
        try:
            allowed, wait = await self._bucket(
                keys=[self.bucket_key(service_id, key_type)], args=[rate, bucket_capacity(rate_limit)]
            )
        except RedisError as exc:
            self._lost_redis(exc, "rate limit")
            return self._local_token(service_id, key_type, rate_limit)
        if int(allowed) == 1:
            return RateDecision(True)
        return RateDecision(False, max(1, math.ceil(float(wait))))

    async def count_daily(
        self, service_id: str, key_type: str, counts: list[tuple[DailyLimit, int]], day: str | None = None
    ) -> DailyDecision:
        """Count sends against daily limits (``(limit, how many)``), all or none."""
        if not counts:
            return DailyDecision(True)
        today = day or utc_day()
        keys = [self.counter_key(service_id, lim, key_type, today) for lim, _ in counts]
        args: list[int] = []
        for (lim, n), key in zip(counts, keys, strict=True):
            args += [n, lim.limit, _ttl(key)]
        if not await self._redis_up():
            return self._local_daily(keys, counts)
        try:
            result = await self._daily(keys=keys, args=args)
        except RedisError as exc:
            self._lost_redis(exc, "daily limits")
            return self._local_daily(keys, counts)
        refused = int(result[0])
        for key, count in zip(keys, result[1:], strict=False):
            self._local.seen(key, int(count))
        if refused == 0:
            self._warn(service_id, counts, result[1:])
            return DailyDecision(True)
        exceeded = counts[refused - 1][0]
        return DailyDecision(False, exceeded, exceeded.retry_after())

    async def admit(
        self,
        service_id: str,
        key_type: str,
        rate_limit: int,
        counts: list[tuple[DailyLimit, int]],
        *,
        store: Sequence[tuple[str, bytes]] = (),
        store_seconds: int = 0,
        day: str | None = None,
    ) -> Admission:
        """``take_token``, then ``count_daily``, then store ``store`` (key, value) for
        ``store_seconds``, atomically and in one round trip; each step only if the one before allowed
        it. Keys to store should carry the ``{service_id}`` hash tag (one cluster slot)."""
        today = day or utc_day()
        day_keys = [self.counter_key(service_id, lim, key_type, today) for lim, _ in counts]
        send = _Send(
            service_id,
            self.bucket_key(service_id, key_type),
            rate_limit / 60,
            bucket_capacity(rate_limit),
            [(key, n, lim.limit, _ttl(key)) for key, (lim, n) in zip(day_keys, counts, strict=True)],
            store_seconds,
            store,
        )
        if not await self._redis_up():
            return self._local_admit(service_id, key_type, rate_limit, day_keys, counts)
        try:
            if self._coalesce:
                result = await self._admit_together(send)
            else:
                result = (await self._run(self._admit_script, *_pack([send])))[0]
        except RedisError as exc:
            self._lost_redis(exc, "limits")
            return self._local_admit(service_id, key_type, rate_limit, day_keys, counts)
        allowed, wait, refused = result[:3]
        for key, count in zip(day_keys, result[3:], strict=False):
            self._local.seen(key, int(count))
        if int(allowed) != 1:
            return Admission(RateDecision(False, max(1, math.ceil(float(wait)))), DailyDecision(True))
        if int(refused) == 0:
            self._warn(service_id, counts, result[3:])
            return Admission(RateDecision(True), DailyDecision(True))
        exceeded = counts[int(refused) - 1][0]
        return Admission(RateDecision(True), DailyDecision(False, exceeded, exceeded.retry_after()))

    def _local_admit(
        self,
        service_id: str,
        key_type: str,
        rate_limit: int,
        day_keys: list[str],
        counts: list[tuple[DailyLimit, int]],
    ) -> Admission:
        rate = self._local_token(service_id, key_type, rate_limit)
        if not rate.allowed:
            return Admission(rate, DailyDecision(True))
        return Admission(rate, self._local_daily(day_keys, counts))

    async def _run(self, script: _Script, keys: list[str], args: Sequence[float | int | bytes]) -> Any:
        """EVALSHA ``script``, loading it first if the server lost it: what ``AsyncScript.__call__``
        does, minus its per-call type checks (measurable on the API's hot path)."""
        try:
            return await self._untyped.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            script.sha = await self._untyped.script_load(script.text)
            return await self._untyped.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)

    def _admit_together(self, send: _Send) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            if self._window > 0:
                self._flush_timer = loop.call_later(self._window, self._start_flush)
            else:
                self._flush_timer = loop.call_soon(self._start_flush)
        self._pending.append((send, future))
        if len(self._pending) >= ADMIT_BATCH_MAX:
            self._start_flush()
        return future

    def _start_flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        batch, self._pending = self._pending, []
        task = asyncio.create_task(self._flush(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[_Send, asyncio.Future[Any]]]) -> None:
        # One script call for each service's sends (its keys share one cluster slot): one command,
        # one reply and one script run in Redis for many sends. The usual turn holds one service
        # (or one send), so it goes as a plain command, without a pipeline's objects and
        # bookkeeping; several services go as a pipeline of their calls.
        groups: dict[str, list[tuple[_Send, asyncio.Future[Any]]]] = {}
        for entry in batch:
            groups.setdefault(entry[0].service_id, []).append(entry)
        commands = [_pack([send for send, _ in group]) for group in groups.values()]
        try:
            if len(commands) == 1:
                replies = [await self._run(self._admit_script, *commands[0])]
            else:
                replies = await self._pipeline(commands)
                if any(isinstance(r, NoScriptError) for r in replies):
                    self._admit_script.sha = await self._untyped.script_load(self._admit_script.text)
                    replies = await self._pipeline(commands)
        except BaseException as exc:  # every waiter gets the failure (RedisError: fail open)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RedisError("cancelled"))
            if not isinstance(exc, Exception):
                raise
            return
        for group, reply in zip(groups.values(), replies, strict=True):
            if isinstance(reply, Exception):
                for _, future in group:
                    if not future.done():
                        future.set_exception(reply)
                continue
            for (_, future), result in zip(group, reply, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _pipeline(self, commands: list[tuple[list[str], list[float | int | bytes]]]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, args in commands:
                pipe.execute_command("EVALSHA", self._admit_script.sha, len(keys), *keys, *args)
            return list(await pipe.execute(raise_on_error=False))

    async def used_today(self, service_id: str, key_type: str, name: str) -> int | None:
        """How many sends ``name`` (sms, email, ...) has counted today; None if Redis cannot say."""
        today = utc_day()
        try:
            raw = await self._redis.get(self.daily_key(service_id, name, key_type, today))
        except RedisError as exc:
            log.warning("daily count not read: redis unavailable", extra={"error": type(exc).__name__})
            return None
        return int(raw or 0)

    async def give_back_daily(
        self, service_id: str, key_type: str, counts: list[tuple[DailyLimit, int]], day: str | None = None
    ) -> None:
        """Undo ``count_daily`` for sends that were not accepted after all."""
        today = day or utc_day()
        keys = [(self.counter_key(service_id, lim, key_type, today), n) for lim, n in counts]
        if not await self._redis_up():
            self._local.give_back(keys)
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, n in keys:
                    pipe.decrby(key, n)
                await pipe.execute()
        except RedisError as exc:
            log.warning("daily count not given back", extra={"error": type(exc).__name__})
