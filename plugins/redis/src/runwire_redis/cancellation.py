"""``RedisCancellation``: live runs as leases in Redis, cancel requests over pub/sub.

Best-effort by design: Redis being down or lost never fails a run. A failed
call is logged (once per ``warn_every`` seconds), the run goes on cancellable
from its own process only, and Redis is left alone for ``retry_after`` seconds
before the next try; when it answers again, the runs still going are put back.

No call waits on Redis in a run's event loop: starts, ends and cancels go, in
order, to one thread (``runwire-redis-calls``) that sends all it has queued as
one pipeline; a run starting awaits its start's reply (a cancel waiting for it),
and a run's end is recorded in the background.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar, cast

import redis

from runwire.run.cancel import CancellationBackend, cancel_local

logger = logging.getLogger("runwire.redis")
T = TypeVar("T")

# KEYS: leases, cancel:<id>, finished:<id>   ARGV: run_id, lease ms
_START = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('DEL', KEYS[3])
local pending = redis.call('GET', KEYS[2])
redis.call('DEL', KEYS[2])
return pending
"""
# KEYS: leases, cancel:<id>, finished:<id>   ARGV: run_id, finished ttl s (0: paused, not finished)
_FINISH = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[3], '1', 'EX', ARGV[2]) end
return 1
"""
# KEYS: leases, cancel:<id>, finished:<id>   ARGV: run_id, reason, pending ttl s, channel
_CANCEL = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('PUBLISH', ARGV[4], ARGV[1] .. '\\n' .. ARGV[2])
  return 1
end
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
return 0
"""
# KEYS: leases   ARGV: lease ms, 'XX' (renew only) or 'ADD' (put back after an outage), run ids...
_RENEW = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
for i = 3, #ARGV do
  if ARGV[2] == 'XX' then redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
  else redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return 1
"""


@dataclass
class _Call:
    """One call for the calls thread: ``build`` adds its commands to a pipeline; ``done`` gets its reply."""

    what: str
    build: Callable[[Any], None]
    default: Any
    done: Callable[[Any], None]


def _waiter() -> tuple[Callable[[Any], None], Callable[[float], Any]]:
    """(done, wait): ``wait(timeout)`` blocks until ``done(value)`` and returns the value."""
    box: list[Any] = []
    event = threading.Event()

    def done(value: Any) -> None:
        box.append(value)
        event.set()

    def wait(timeout: float) -> Any:
        event.wait(timeout)
        return box[0] if box else None

    return done, wait


class RedisCancellation(CancellationBackend):
    """Cancellation that reaches every process sharing ``url``.

    Keys (all under ``prefix``): ``leases`` (a sorted set: each live run id
    scored by the time its lease expires, renewed every ``lease_ttl / 3`` s by
    the process running it, so a killed process's runs drop out within
    ``lease_ttl`` s), ``cancel:<run_id>`` (a cancel waiting for its run to start,
    kept ``pending_ttl`` s), ``finished:<run_id>`` (a run that ended, kept
    ``finished_ttl`` s: a late cancel of it is refused rather than kept pending)
    and the pub/sub channel ``cancel``. A listener thread per process delivers
    requests to the runs it hosts.
    """

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = "runwire:", pending_ttl: int = 60,
                 lease_ttl: float = 30.0, finished_ttl: int = 3600, retry_after: float = 5.0,
                 warn_every: float = 60.0) -> None:
        self.url = url
        self.prefix = prefix
        self.pending_ttl = pending_ttl
        self.lease_ttl = lease_ttl
        self.finished_ttl = finished_ttl
        self.retry_after = retry_after
        self.warn_every = warn_every
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        self._start = self.client.register_script(_START)
        self._finish = self.client.register_script(_FINISH)
        self._cancel = self.client.register_script(_CANCEL)
        self._renew = self.client.register_script(_RENEW)
        self._listener: Optional[threading.Thread] = None
        self._heartbeat: Optional[threading.Thread] = None
        self._caller: Optional[threading.Thread] = None
        self._calls: "queue.SimpleQueue[Optional[_Call]]" = queue.SimpleQueue()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._hosted: set[str] = set()
        self._down_until = 0.0
        self._was_down = False
        self._warned_at = float("-inf")
        self.failures = 0  # Redis calls that failed (each one logged or counted under a rate-limited warning)

    @property
    def channel(self) -> str:
        return self.prefix + "cancel"

    @property
    def leases_key(self) -> str:
        return self.prefix + "leases"

    def _keys(self, run_id: str) -> list[str]:
        return [self.leases_key, self.prefix + "cancel:" + run_id, self.prefix + "finished:" + run_id]

    # -- best effort --------------------------------------------------------
    def _warn(self, what: str, exc: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        if now - self._warned_at >= self.warn_every:
            self._warned_at = now
            logger.warning("runwire-redis: Redis at %r failed to %s (%s: %s); runs go on, cancellable from their own "
                           "process only, until it answers again (warned at most every %g s)",
                           self, what, type(exc).__name__, exc, self.warn_every)

    def _try(self, what: str, call: Callable[[], T], default: T, *, probe: bool = False) -> T:
        if not probe and time.monotonic() < self._down_until:
            return default
        try:
            result = call()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + self.retry_after
            self._was_down = True
            self._warn(what, exc)
            return default
        if self._was_down:
            self._was_down = False
            self._down_until = 0.0
            logger.warning("runwire-redis: Redis at %r answers again", self)
            self._renew_leases(rejoin=True)
        return result

    # -- threads ------------------------------------------------------------
    # -- the calls thread ------------------------------------------------------
    def _submit(self, call: _Call) -> None:
        with self._lock:
            if self._caller is None or not self._caller.is_alive():
                self._caller = threading.Thread(target=self._send_calls, name="runwire-redis-calls", daemon=True)
                self._caller.start()
        self._calls.put(call)

    def _call(self, what: str, build: Callable[[Any], None], default: T, timeout: float = 30.0) -> T:
        """Send one call through the calls thread (after every call queued before it) and wait for its reply."""
        done, wait = _waiter()
        self._submit(_Call(what, build, default, done))
        result = wait(timeout)
        return default if result is None else cast(T, result)

    def _send_calls(self) -> None:
        while True:
            first = self._calls.get()
            if first is None:
                return
            batch = [first]
            while True:
                try:
                    more = self._calls.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._send(batch)
                    return
                batch.append(more)
            self._send(batch)

    def _send(self, batch: list[_Call]) -> None:
        """One pipeline for the whole batch; each call gets its reply, or its default if Redis failed."""
        self._ensure_threads()  # the listener and the heartbeat (started once; restarted if they died)
        def send() -> list[tuple[_Call, list[Any]]]:
            pipe = self.client.pipeline(transaction=False)
            spans = []
            for call in batch:
                start = len(pipe.command_stack)
                call.build(pipe)
                spans.append((start, len(pipe.command_stack)))
            replies = pipe.execute(raise_on_error=False) if pipe.command_stack else []
            return [(call, replies[a:b]) for call, (a, b) in zip(batch, spans)]

        answered = self._try(batch[0].what, send, None)
        for index, call in enumerate(batch):
            value = call.default
            if answered is not None:
                replies = answered[index][1]
                error = next((r for r in replies if isinstance(r, Exception)), None)
                if error is not None:
                    self._warn(call.what, error)
                elif replies:
                    value = replies[-1]
            try:
                call.done(value)
            except Exception:  # a caller's loop that closed meanwhile, say: the others still get theirs
                logger.debug("runwire-redis: could not hand a reply over", exc_info=True)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every start, end and cancel this process recorded so far has reached Redis (or failed)."""
        self._call("flush", lambda pipe: None, None, timeout)

    # -- threads ------------------------------------------------------------
    def _ensure_threads(self) -> None:
        with self._lock:
            if self._heartbeat is None or not self._heartbeat.is_alive():
                self._heartbeat = threading.Thread(target=self._beat, name="runwire-redis-leases", daemon=True)
                self._heartbeat.start()
            if self._listener is None or not self._listener.is_alive():
                self._ready.clear()
                self._listener = threading.Thread(target=self._listen, name="runwire-redis-cancel", daemon=True)
                self._listener.start()
        self._ready.wait(5)  # set once the listener has subscribed, or failed to

    def _listen(self) -> None:
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.subscribe(self.channel)
                self._ready.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        run_id, _, reason = str(message["data"]).partition("\n")
                        cancel_local(run_id, reason or "cancelled by the user", remember=False)
            except redis.RedisError as exc:  # reconnect: cancellation must survive a Redis restart
                self._ready.set()
                self._warn("deliver cancel requests (the listener reconnects)", exc)
                self._stop.wait(1)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except redis.RedisError:
                        pass

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_ttl / 3):
            self._renew_leases(rejoin=self._was_down)

    def _renew_leases(self, *, rejoin: bool) -> None:
        with self._lock:
            hosted = list(self._hosted)
        if hosted:
            mode = "ADD" if rejoin else "XX"  # after an outage, put back the runs Redis lost
            self._try("renew the leases of live runs",
                      lambda: self._renew(keys=[self.leases_key], args=[int(self.lease_ttl * 1000), mode, *hosted]),
                      None, probe=True)

    # -- the backend --------------------------------------------------------
    def _start_call(self, run_id: str, done: Callable[[Any], None]) -> _Call:
        with self._lock:
            self._hosted.add(run_id)
        keys, args = self._keys(run_id), [run_id, int(self.lease_ttl * 1000)]  # type: list[str], list[Any]
        return _Call("record a live run", lambda pipe: self._start(keys=keys, args=args, client=pipe), None, done)

    def run_started(self, run_id: str) -> Optional[str]:
        self._ensure_threads()
        done, wait = _waiter()
        self._submit(self._start_call(run_id, done))
        return cast(Optional[str], wait(30.0)) or None

    async def arun_started(self, run_id: str) -> Optional[str]:
        """:meth:`run_started` without blocking the event loop: the calls thread sends it, the run awaits it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def settle(value: Any) -> None:
            if not future.done():
                future.set_result(value)

        def done(value: Any) -> None:
            loop.call_soon_threadsafe(settle, value)

        self._submit(self._start_call(run_id, done))
        return cast(Optional[str], await future) or None

    def _end(self, run_id: str, finished_ttl: int) -> None:
        """Recorded in the background, after the run's start (a cancel sent after this waits for it)."""
        with self._lock:
            self._hosted.discard(run_id)
        keys, args = self._keys(run_id), [run_id, finished_ttl]  # type: list[str], list[Any]
        self._submit(_Call("record the end of a run", lambda pipe: self._finish(keys=keys, args=args, client=pipe),
                           None, lambda value: None))

    def run_finished(self, run_id: str) -> None:
        self._end(run_id, self.finished_ttl)

    def run_paused(self, run_id: str) -> None:
        self._end(run_id, 0)

    def cancel(self, run_id: str, reason: str) -> bool:
        """True if ``run_id`` holds a live lease (the request is published to its process); otherwise the request
        waits ``pending_ttl`` s for the run to start, unless the run already finished."""
        keys, args = self._keys(run_id), [run_id, reason, self.pending_ttl, self.channel]  # type: list[str], list[Any]
        live = self._call("send a cancel request", lambda pipe: self._cancel(keys=keys, args=args, client=pipe), 0)
        return bool(live)

    def live_runs(self) -> set[str]:
        """The run ids holding a lease now (expired leases are left out), after this process's pending calls."""
        self.flush()
        now_s, now_us = self.client.time()
        now_ms = now_s * 1000 + now_us // 1000
        return set(cast("list[str]", self.client.zrangebyscore(self.leases_key, f"({now_ms}", "+inf")))

    def close(self) -> None:
        """Stop the listener and heartbeat threads and close the connections (runs still going lose their leases)."""
        self._stop.set()
        if self._caller is not None:
            self._calls.put(None)  # after what is queued: the ends of runs still reach Redis
        for thread in (self._listener, self._heartbeat, self._caller):
            if thread is not None and thread is not threading.current_thread():
                thread.join(5)
        self.client.close()

    def __repr__(self) -> str:
        from runwire.utils.redact import redact_url

        return f"RedisCancellation({redact_url(self.url)!r})"
